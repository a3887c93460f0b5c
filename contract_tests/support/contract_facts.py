"""Reduces a vendor doc page and the spec's matching operation to comparable facts, so a test can diff them.

A fact is a tuple such as ("path", "project_id", "Yes", "String") or ("field", 404, "error_msg", "String").
Both sides speak the doc's vocabulary: Yes/No for mandatory, String/Object/... for types. Nested objects
are flattened into dotted names ("destination_config.on_success.param"; "invocations[].status" for the
items of an array). Constraint rows become ("range" | "enum" | "default", <where>, name, ...) facts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from contract_tests.support.vendor_docs import Page, Table, parse_page

Fact = tuple[Any, ...]
Where = tuple[Any, ...]  # ("query",), ("body",), ("field", 200), ...
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
    "Query Parameters": "query",
    "Request header parameters": "header",
    "Request body parameters": "body",
}
USER_DEFINED_KEY = "{User defined key}"
OPERATION = ("/v2/{project_id}/fgs/functions/{function_urn}/invocations-async", "post")
# "FuncAsyncDestinationConfig object", "Array of ListFunctionAsyncInvocationsResult objects"
_NESTED = re.compile(r"^(Array of )?(\w+) objects?$")
_MIN = re.compile(r"Minimum: (-?\d+)")
_MAX = re.compile(r"Maximum: (-?\d+)")
# Both the constraint row ("Default: 100") and the prose ("Default value: 3600s.").
_DEFAULT = re.compile(r"Default(?: value)?: (\d+|[A-Za-z]\w*)")


def operation_of(page_path: Path) -> tuple[str, str]:
    operation = parse_page(page_path).operation
    assert operation is not None, f"{page_path.name} has no URI line"
    return operation


def doc_facts(page_path: Path) -> set[Fact]:
    page: Page = parse_page(page_path)
    path, method = operation_of(page_path)
    facts: set[Fact] = {("operation", path, method)}
    for table in page.tables:
        kind = next((k for title, k in TABLE_KINDS.items() if table.title.endswith(title)), None)
        if kind is not None:
            facts |= _table_facts(page, table, (kind,), "")
        elif table.status is not None:
            facts |= _table_facts(page, table, ("field", table.status), "")
        elif table.section == "Status Codes":
            facts.update(("status", int(table.column(row, "Status Code"))) for row in table.rows)
    return facts


def _table_facts(page: Page, table: Table, where: Where, prefix: str) -> set[Fact]:
    facts: set[Fact] = set()
    for row, lists in zip(table.rows, table.lists, strict=True):
        name = prefix + table.column(row, "Parameter")
        type_ = table.column(row, "Type")
        nested = _NESTED.match(type_)
        if nested is not None:
            type_ = "Array" if nested[1] else "Object"
            inner = page.named_table(table.section, nested[2])
            facts |= _table_facts(page, inner, where, name + ("[]." if nested[1] else "."))
        mandatory = (table.column(row, "Mandatory"),) if "Mandatory" in table.header else ()
        facts.add((*where, name, *mandatory, type_))
        text = table.column(row, "Description") if "Description" in table.header else ""
        low, high = _MIN.findall(text), _MAX.findall(text)
        if low or high:
            facts.add(("range", *where, name, *(int(v[0]) if v else None for v in (low, high))))
        # A list of single words is an enumeration ("WAIT", "force"); sentences are prose.
        enums = [items for items in lists if all(" " not in item for item in items)]
        if enums:
            facts.add(("enum", *where, name, tuple(enums[-1])))
        if where[0] != "field":  # a default is what the server assumes for a value the client left out
            facts.update(("default", *where, name, value) for value in _DEFAULT.findall(text))
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


def _constraint_facts(schema: dict[str, Any], where: Where, name: str) -> set[Fact]:
    facts: set[Fact] = set()
    low, high = ("minLength", "maxLength") if schema.get("type") == "string" else ("minimum", "maximum")
    if (low in schema or high in schema) and "x-range-reason" not in schema:
        facts.add(("range", *where, name, schema.get(low), schema.get(high)))
    if "enum" in schema:
        facts.add(("enum", *where, name, tuple(schema["enum"])))
    if "default" in schema and where[0] != "field":
        facts.add(("default", *where, name, str(schema["default"])))
    return facts


def _schema_facts(spec: dict[str, Any], schema: dict[str, Any], where: Where, prefix: str) -> set[Fact]:
    facts: set[Fact] = set()
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop)
        if "x-extension-reason" in prop:
            continue
        full = prefix + name
        # Request bodies have a mandatory column on the page; answers do not.
        mandatory = (_yes(name in schema.get("required", [])),) if where[0] == "body" else ()
        facts.add((*where, full, *mandatory, JSON_TYPES[prop["type"]]))
        facts |= _constraint_facts(prop, where, full)
        if prop["type"] == "object":
            facts |= _schema_facts(spec, prop, where, full + ".")
        elif prop["type"] == "array":
            facts |= _schema_facts(spec, _resolve(spec, prop["items"]), where, full + "[].")
    return facts


def spec_facts(spec: dict[str, Any], operation: tuple[str, str] = OPERATION) -> set[Fact]:
    path, method = operation
    op = spec["paths"].get(path, {}).get(method)
    if op is None:
        return set()
    facts: set[Fact] = {("operation", path, method)}
    for param in (_resolve(spec, p) for p in op.get("parameters", [])):
        if "x-extension-reason" in param:
            continue
        where = (param["in"],)
        facts.add((*where, param["name"], _yes(param.get("required")), JSON_TYPES[param["schema"]["type"]]))
        facts |= _constraint_facts(param["schema"], where, param["name"])

    schemes = spec.get("components", {}).get("securitySchemes", {})
    alternatives = op.get("security", [])
    for name, scheme in schemes.items():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            # Mandatory only when every accepted way to authenticate includes this scheme.
            required = bool(alternatives) and all(name in alt for alt in alternatives)
            facts.add(("header", scheme["name"], _yes(required), "String"))

    # Pages list Content-Type as mandatory even for GET and DELETE, which have no body to type.
    if op.get("x-content-type") == "application/json":
        facts.add(("header", "Content-Type", "Yes", "String"))
    body = op.get("requestBody")
    if body is not None:
        body = _resolve(spec, body)
        if "application/json" in body.get("content", {}):
            facts.add(("header", "Content-Type", _yes(body.get("required")), "String"))
        for media in body.get("content", {}).values():
            schema = _resolve(spec, media["schema"])
            if schema.get("additionalProperties") not in (None, False):
                facts.add(("body", USER_DEFINED_KEY, _yes(body.get("required")), JSON_TYPES[schema["type"]]))
            facts |= _schema_facts(spec, schema, ("body",), "")

    for status, response in op["responses"].items():
        response = _resolve(spec, response)
        if "x-extension-reason" in response:
            continue
        facts.add(("status", int(status)))
        for media in response.get("content", {}).values():
            facts |= _schema_facts(spec, _resolve(spec, media["schema"]), ("field", int(status)), "")
    return facts


def differences(doc: set[Fact], spec: set[Fact]) -> list[str]:
    missing = [f"spec lacks or states differently: {f}" for f in sorted(doc - spec, key=repr)]
    extra = [f"spec states what the page does not: {f}" for f in sorted(spec - doc, key=repr)]
    return missing + extra
