"""A correct dialect: the real cloud as seen through its API gateway (APIG), which the suite must pass.

The gateway answers auth failures and unknown routes or methods itself, with its own APIG.xxxx codes
(not in the FSS table); puts a request_id in error bodies and an X-Request-Id header on every answer;
hands out the service's run ids as 32 hex digits without dashes (and reads them back in the query and
the cancel); reads any media type as JSON; refuses bodies over 64 KiB or nested deeper than 32 levels
with 400.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from urllib.parse import parse_qsl, urlencode

from contract_tests.mock.mutants import Exchange, Known, Variant, answer_with, set_header

MAX_BODY = 64 * 1024
MAX_DEPTH = 32
ROUTE = re.compile(rb"^/v2/[^/]+/fgs/functions/[^/]+/([a-z-]+)$")
# The operations the gateway publishes: any other path or method it answers itself, with 404.
PUBLISHED = {
    b"invocations-async": {"POST"},
    b"async-invocations": {"GET"},
    b"cancel": {"POST"},
    b"async-invoke-config": {"PUT", "GET", "DELETE"},
}


def json_depth(body: bytes) -> int:
    """How deep objects and arrays nest, strings skipped, without parsing (the body may be too deep to parse)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in b"{[":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"}]":
            depth -= 1
    return deepest


def _gateway_error(exchange: Exchange, status: int, code: str, message: str) -> None:
    answer_with(exchange, status, json.dumps({"error_code": code, "error_msg": message}).encode())


def gateway_in(exchange: Exchange, known: Known) -> None:
    route = ROUTE.match(exchange.scope["raw_path"])
    if route is None or exchange.scope["method"] not in PUBLISHED.get(route.group(1), set()):
        _gateway_error(exchange, 404, "APIG.0101", "The API does not exist or has not been published.")
    elif len(exchange.body) > MAX_BODY:
        _gateway_error(exchange, 400, "APIG.0201", "The request body is too large.")
    elif json_depth(exchange.body) > MAX_DEPTH:
        _gateway_error(exchange, 400, "APIG.0201", "The request body is nested too deeply.")
    elif exchange.scope["method"] in ("POST", "PUT"):
        set_header(exchange, b"content-type", b"application/json")
    if route is not None and route.group(1) == b"async-invocations":
        query = [
            (k, _dashed(v) if k == "request_id" else v) for k, v in parse_qsl(exchange.scope["query_string"].decode())
        ]
        exchange.scope["query_string"] = urlencode(query).encode()
    if route is not None and route.group(1) == b"cancel":
        with contextlib.suppress(ValueError):
            body = json.loads(exchange.body)
            if isinstance(body, dict) and isinstance(body.get("request_id"), str):
                exchange.body = json.dumps({**body, "request_id": _dashed(body["request_id"])}).encode()


def _dashed(hex_id: str) -> str:
    """The service's form of an id the gateway handed out; any other value passes unchanged."""
    return str(uuid.UUID(hex_id)) if re.fullmatch(r"[0-9a-f]{32}", hex_id) else hex_id


def gateway_out(exchange: Exchange, known: Known) -> None:
    request_id = uuid.uuid4().hex
    if exchange.status == 401:
        _gateway_error(exchange, 401, "APIG.1002", "Incorrect token or token resolution failed.")
    if exchange.status == 202:
        request_id = json.loads(exchange.answer)["request_id"].replace("-", "")
        exchange.answer = json.dumps({"request_id": request_id}).encode()
    elif exchange.status == 200 and b'"invocations"' in exchange.answer:
        page = json.loads(exchange.answer)
        for record in page["invocations"]:
            record["request_id"] = record["request_id"].replace("-", "")
        exchange.answer = json.dumps(page).encode()
    elif exchange.status >= 400:
        exchange.answer = json.dumps({**json.loads(exchange.answer), "request_id": request_id}).encode()
    exchange.headers = [*(exchange.headers or []), (b"x-request-id", request_id.encode())]


API_GATEWAY = Variant("api-gateway", before=gateway_in, after=gateway_out)
