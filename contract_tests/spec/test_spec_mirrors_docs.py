"""spec/openapi.yaml states exactly what the vendor's pages state, table by table, one page per operation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from contract_tests.support import spec_edits
from contract_tests.support.contract_facts import differences, doc_facts, operation_of, spec_facts
from contract_tests.support.vendor_docs import OPERATION_PAGES, first_json, has_json, parse_page

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Facts per page: rows (with nested tables flattened), statuses, constraint rows, and the operation itself.
FACT_COUNTS = dict(zip(OPERATION_PAGES, (26, 38, 21, 44, 25, 9), strict=True))


def _op(spec: dict[str, Any], page: Path) -> dict[str, Any]:
    path, method = operation_of(page)
    op: dict[str, Any] = spec["paths"][path][method]
    return op


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_spec_has_exactly_the_documented_operations(spec: dict[str, Any], vendor_docs: Path) -> None:
    in_spec = {(path, method) for path, item in spec["paths"].items() for method in item if method in METHODS}
    assert in_spec == {operation_of(vendor_docs / page) for page in OPERATION_PAGES}


@pytest.mark.parametrize("page", OPERATION_PAGES)
def test_spec_states_every_row_of_the_page_and_nothing_else(spec: dict[str, Any], vendor_docs: Path, page: str) -> None:
    doc = doc_facts(vendor_docs / page)
    assert len(doc) == FACT_COUNTS[page], sorted(doc, key=repr)
    assert differences(doc, spec_facts(spec, operation_of(vendor_docs / page))) == []


@pytest.mark.parametrize("page", OPERATION_PAGES)
def test_examples_match_the_page(spec: dict[str, Any], vendor_docs: Path, page: str) -> None:
    parsed = parse_page(vendor_docs / page)
    path, method = operation_of(vendor_docs / page)
    op = _op(spec, vendor_docs / page)
    (request,) = parsed.code_blocks["Example Requests"]
    assert request.startswith(f"{method.upper()} {path}")
    if has_json(request):
        assert op["requestBody"]["content"]["application/json"]["example"] == first_json(request)
    else:
        assert "requestBody" not in op
    for status, block in parsed.response_examples.items():
        media = _resolve(spec, op["responses"][str(status)])["content"]["application/json"]
        assert "example" in media, status
        assert media["example"] == first_json(block), status


def test_no_content_means_no_body(spec: dict[str, Any]) -> None:
    # DELETE's page shows "None" as its example answer: a 204 must not promise a body.
    no_content = [
        r for item in spec["paths"].values() for op in item.values() for s, r in op["responses"].items() if s == "204"
    ]
    assert no_content
    assert all("content" not in _resolve(spec, r) for r in no_content)


@pytest.mark.parametrize(("mutate", "page"), spec_edits.BY_PAGE, ids=lambda v: getattr(v, "__name__", v))
def test_doc_check_catches_an_edited_spec(spec: dict[str, Any], vendor_docs: Path, mutate: Any, page: str) -> None:
    edited = copy.deepcopy(spec)
    mutate(edited)
    assert differences(doc_facts(vendor_docs / page), spec_facts(edited, operation_of(vendor_docs / page))) != []
