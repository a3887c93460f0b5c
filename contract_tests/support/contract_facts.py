"""Reduces the primary doc page and the spec to comparable facts, so a test can diff them.

A fact is a tuple such as ("path", "project_id", "Yes", "String") or ("field", 404, "error_msg", "String").
Both sides speak the doc's vocabulary: Yes/No for mandatory, String/Object/... for types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contract_tests.support.vendor_docs import Page, parse_page

Fact = tuple[Any, ...]
JSON_TYPES = {
    "string": "String",
    "object": "Object",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "array": "Array",
}
# Where the page puts a request header, the spec has its own construct: the body's media type, or security.
TABLE_KINDS = {
    "Path Parameters": "path",
    "Request header parameters": "header",
    "Request body parameters": "body",
}
USER_DEFINED_KEY = "{User defined key}"
OPERATION = ("/v2/{project_id}/fgs/functions/{function_urn}/invocations-async", "post")


def doc_facts(page_path: Path) -> set[Fact]:
    page: Page = parse_page(page_path)
    facts: set[Fact] = set()
    for table in page.tables:
        kind = next((k for title, k in TABLE_KINDS.items() if table.title.endswith(title)), None)
        if kind is not None:
            for row in table.rows:
                name, mandatory, type_ = (table.column(row, c) for c in ("Parameter", "Mandatory", "Type"))
                facts.add((kind, name, mandatory, type_))
        elif table.status is not None:
            for row in table.rows:
                facts.add(("field", table.status, table.column(row, "Parameter"), table.column(row, "Type")))
        elif table.section == "Status Codes":
            facts.update(("status", int(table.column(row, "Status Code"))) for row in table.rows)
    return facts


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _yes(flag: object) -> str:
    return "Yes" if flag else "No"


def spec_facts(spec: dict[str, Any]) -> set[Fact]:
    path, method = OPERATION
    op = spec["paths"][path][method]
    facts: set[Fact] = set()
    for param in (_resolve(spec, p) for p in op.get("parameters", [])):
        if "x-extension-reason" in param:
            continue
        facts.add((param["in"], param["name"], _yes(param.get("required")), JSON_TYPES[param["schema"]["type"]]))

    schemes = spec.get("components", {}).get("securitySchemes", {})
    alternatives = op.get("security", [])
    for name, scheme in schemes.items():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            # Mandatory only when every accepted way to authenticate includes this scheme.
            required = bool(alternatives) and all(name in alt for alt in alternatives)
            facts.add(("header", scheme["name"], _yes(required), "String"))

    body = op.get("requestBody")
    if body is not None:
        body = _resolve(spec, body)
        if "application/json" in body.get("content", {}):
            facts.add(("header", "Content-Type", _yes(body.get("required")), "String"))
        for media in body.get("content", {}).values():
            schema = _resolve(spec, media["schema"])
            if schema.get("additionalProperties") not in (None, False):
                facts.add(("body", USER_DEFINED_KEY, _yes(body.get("required")), JSON_TYPES[schema["type"]]))
            for name, prop in schema.get("properties", {}).items():
                prop = _resolve(spec, prop)
                facts.add(("body", name, _yes(name in schema.get("required", [])), JSON_TYPES[prop["type"]]))

    for status, response in op["responses"].items():
        facts.add(("status", int(status)))
        for media in _resolve(spec, response).get("content", {}).values():
            schema = _resolve(spec, media["schema"])
            for name, prop in schema.get("properties", {}).items():
                prop = _resolve(spec, prop)
                if "x-extension-reason" not in prop:
                    facts.add(("field", int(status), name, JSON_TYPES[prop["type"]]))
    return facts


def differences(doc: set[Fact], spec: set[Fact]) -> list[str]:
    missing = [f"spec lacks or states differently: {f}" for f in sorted(doc - spec, key=repr)]
    extra = [f"spec states what the page does not: {f}" for f in sorted(spec - doc, key=repr)]
    return missing + extra
