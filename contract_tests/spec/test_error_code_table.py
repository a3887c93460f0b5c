"""fgs.error_codes carries the vendor's error-code table row for row."""

from __future__ import annotations

from pathlib import Path

from contract_tests.support.vendor_docs import parse_page
from fgs.error_codes import ERROR_CODES


def test_table_matches_the_error_code_page(vendor_docs: Path) -> None:
    (table,) = parse_page(vendor_docs / "error_codes.rst").tables
    documented = {
        table.column(row, "Error Code"): (int(table.column(row, "Status Code")), table.column(row, "Error Message"))
        for row in table.rows
    }
    assert len(documented) == len(table.rows), "the page lists a code twice"
    assert {code: tuple(entry) for code, entry in ERROR_CODES.items()} == documented


def test_codes_the_mock_relies_on_are_present() -> None:
    for code, status in {"FSS.0400": 400, "FSS.0401": 401, "FSS.0403": 403, "FSS.1051": 404, "FSS.1309": 400}.items():
        assert ERROR_CODES[code].status == status
