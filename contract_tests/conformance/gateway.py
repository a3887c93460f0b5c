"""A correct dialect: the real cloud as seen through its API gateway (APIG), which the suite must pass.

The gateway answers auth failures and unknown routes or methods itself, with its own APIG.xxxx codes
(not in the FSS table); puts a request_id in error bodies and an X-Request-Id header on every answer;
hands out 32-hex ids without dashes; reads any media type as JSON; refuses bodies over 64 KiB or nested
deeper than 32 levels with 400.
"""

from __future__ import annotations

import json
import re
import uuid

from contract_tests.mock.mutants import Exchange, Known, Variant, answer_with, set_header

MAX_BODY = 64 * 1024
MAX_DEPTH = 32
ROUTE = re.compile(rb"^/v2/[^/]+/fgs/functions/[^/]+/invocations-async$")


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
    if not ROUTE.match(exchange.scope["raw_path"]) or exchange.scope["method"] != "POST":
        _gateway_error(exchange, 404, "APIG.0101", "The API does not exist or has not been published.")
    elif len(exchange.body) > MAX_BODY:
        _gateway_error(exchange, 400, "APIG.0201", "The request body is too large.")
    elif json_depth(exchange.body) > MAX_DEPTH:
        _gateway_error(exchange, 400, "APIG.0201", "The request body is nested too deeply.")
    else:
        set_header(exchange, b"content-type", b"application/json")


def gateway_out(exchange: Exchange, known: Known) -> None:
    request_id = uuid.uuid4().hex
    if exchange.status == 401:
        _gateway_error(exchange, 401, "APIG.1002", "Incorrect token or token resolution failed.")
    if exchange.status == 202:
        exchange.answer = json.dumps({"request_id": request_id}).encode()
    elif exchange.status >= 400:
        exchange.answer = json.dumps({**json.loads(exchange.answer), "request_id": request_id}).encode()
    exchange.headers = [*(exchange.headers or []), (b"x-request-id", request_id.encode())]


API_GATEWAY = Variant("api-gateway", before=gateway_in, after=gateway_out)
