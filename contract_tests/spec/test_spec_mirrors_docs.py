"""spec/openapi.yaml states exactly what the primary doc page states, table by table."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from contract_tests.support import spec_edits
from contract_tests.support.contract_facts import OPERATION, differences, doc_facts, spec_facts
from contract_tests.support.vendor_docs import first_json, parse_page

PATH, METHOD = OPERATION


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_spec_states_every_row_of_the_page_and_nothing_else(spec: dict[str, Any], primary_page: Path) -> None:
    doc = doc_facts(primary_page)
    # The page's tables: 2 path, 2 header, 1 body rows, 7 statuses, 1 + 6*2 response fields.
    assert len(doc) == 25, sorted(doc, key=repr)
    assert differences(doc, spec_facts(spec)) == []


def test_examples_match_the_page(spec: dict[str, Any], primary_page: Path) -> None:
    blocks = parse_page(primary_page).code_blocks
    op = spec["paths"][PATH][METHOD]
    assert blocks["Example Requests"][0].startswith(f"{METHOD.upper()} {PATH}")
    assert op["requestBody"]["content"]["application/json"]["example"] == first_json(blocks["Example Requests"][0])
    assert op["responses"]["202"]["content"]["application/json"]["example"] == first_json(
        blocks["Example Responses"][0]
    )


@pytest.mark.parametrize("mutate", spec_edits.ALL)
def test_doc_check_catches_an_edited_spec(spec: dict[str, Any], primary_page: Path, mutate: Any) -> None:
    edited = copy.deepcopy(spec)
    mutate(edited)
    assert differences(doc_facts(primary_page), spec_facts(edited)) != []
