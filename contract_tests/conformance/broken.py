"""Broken endpoints for the sharper checks: one real kind of defect each, and the check that must catch it."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote

from contract_tests.conformance.signed import BROKEN_SIGNED
from contract_tests.mock.mutants import (
    BROKEN,
    Edit,
    Exchange,
    Known,
    Variant,
    answer_with,
    crash_if,
    path_segments,
    rewrite_urn,
    set_header,
    set_path_segments,
)
from fgs_mock.urn import MalformedUrn, parse_urn

# --- near-miss credentials: the endpoint compares tokens loosely, or looks for them elsewhere ----------


def _accept_token_if(close_enough: Callable[[str, str], bool]) -> Edit:
    def edit(exchange: Exchange, known: Known) -> None:
        sent = exchange.header(b"x-auth-token")
        if sent is not None and close_enough(sent.decode("latin-1"), known.token):
            set_header(exchange, b"x-auth-token", known.token.encode())

    return edit


def _one_char_off(sent: str, real: str) -> bool:
    return len(sent) == len(real) and sum(a != b for a, b in zip(sent, real, strict=True)) == 1


accepts_token_in_any_case = _accept_token_if(lambda sent, real: sent.lower() == real.lower())
accepts_token_one_char_off = _accept_token_if(_one_char_off)
# Compares only as many characters as were sent, or only the real token's length.
accepts_truncated_or_extended_token = _accept_token_if(
    lambda sent, real: len(sent) >= 8 and (real.startswith(sent) or sent.startswith(real))
)


def accepts_bearer_token(exchange: Exchange, known: Known) -> None:
    authorization = exchange.header(b"authorization") or b""
    if authorization.removeprefix(b"Bearer ").decode("latin-1") == known.token:
        set_header(exchange, b"x-auth-token", known.token.encode())


def accepts_token_in_query(exchange: Exchange, known: Known) -> None:
    if known.token in dict(parse_qsl(exchange.scope["query_string"].decode("latin-1"))).values():
        set_header(exchange, b"x-auth-token", known.token.encode())


def accepts_token_in_any_header(exchange: Exchange, known: Known) -> None:
    if any(value == known.token.encode() for _, value in exchange.scope["headers"]):
        set_header(exchange, b"x-auth-token", known.token.encode())


# --- the URN space around the known function -----------------------------------------------------------


def accepts_unknown_qualifiers(exchange: Exchange, known: Known) -> None:
    """Finds the function by package and name, and ignores the version or alias asked for."""
    real = parse_urn(known.function_urn)

    def to_known(urn: str) -> str | None:
        try:
            ref = parse_urn(urn)
        except MalformedUrn:
            return None
        return known.function_urn if (ref.package, ref.name) == (real.package, real.name) else None

    rewrite_urn(exchange, to_known)


def ignores_package_in_short_forms(exchange: Exchange, known: Known) -> None:
    real = parse_urn(known.function_urn)
    rewrite_urn(exchange, lambda urn: known.function_urn if urn.split(":")[-1] == real.name else None)


def decodes_path_twice(exchange: Exchange, known: Known) -> None:
    segments = path_segments(exchange)
    if len(segments) == 7 and "%25" in segments[5]:
        segments[5] = unquote(segments[5])
        set_path_segments(exchange, segments)


crashes_on_non_ascii_paths = crash_if(lambda e: re.search(rb"%[89A-Fa-f][0-9A-Fa-f]", e.scope["raw_path"]) is not None)
crashes_on_long_paths = crash_if(lambda e: len(e.scope["raw_path"]) > 2048)


# --- methods -------------------------------------------------------------------------------------------


def trace_echoes_the_request(exchange: Exchange, known: Known) -> None:
    if exchange.scope["method"] == "TRACE":
        lines = [f"TRACE {exchange.scope['raw_path'].decode()} HTTP/1.1"]
        lines += [f"{k.decode()}: {v.decode('latin-1')}" for k, v in exchange.scope["headers"]]
        answer_with(exchange, 200, "\r\n".join(lines).encode(), b"message/http")


def options_answers_204(exchange: Exchange, known: Known) -> None:
    if exchange.scope["method"] == "OPTIONS":
        exchange.status, exchange.answer = 204, b""
        exchange.headers = [(b"allow", b"POST, OPTIONS")]


def unknown_methods_run_the_function(exchange: Exchange, known: Known) -> None:
    if exchange.scope["method"] not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}:
        exchange.scope["method"] = "POST"


# --- JSON edge cases a naive parser fails on -----------------------------------------------------------


def _has_duplicate_keys(body: bytes) -> bool:
    found = False

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        nonlocal found
        found = found or len({k for k, _ in items}) < len(items)
        return dict(items)

    try:
        json.loads(body, object_pairs_hook=pairs)
    except ValueError:
        return False
    return found


def _accepted_and(condition: Callable[[bytes], bool]) -> Edit:
    return crash_if(lambda e: e.status == 202 and condition(e.body))


# Python's int() refuses more than 4,300 digits: an endpoint that lets that escape answers 500.
crashes_on_long_numbers = crash_if(lambda e: re.search(rb"\d{4301}", e.body) is not None)
crashes_on_long_strings = _accepted_and(lambda body: re.search(rb'"[^"\\]{1024}', body) is not None)
crashes_on_duplicate_keys = _accepted_and(_has_duplicate_keys)
crashes_on_escaped_surrogates = _accepted_and(lambda body: re.search(rb"\\u[dD][89abAB]", body) is not None)
crashes_on_empty_objects = _accepted_and(lambda body: body.strip() == b"{}")
crashes_on_large_arrays = _accepted_and(lambda body: body.count(b",") > 5000)

# --- credentials reflected -----------------------------------------------------------------------------


def _sent_token(exchange: Exchange) -> bytes | None:
    return next((v for k, v in exchange.scope["headers"] if k == b"x-auth-token"), None)


def quotes_refused_tokens(exchange: Exchange, known: Known) -> None:
    sent = _sent_token(exchange)
    if exchange.status == 401 and sent:
        message = f"The token {sent.decode('latin-1')} is not valid."
        exchange.answer = json.dumps({"error_code": "FSS.0401", "error_msg": message}).encode()


def echoes_the_token_in_a_header(exchange: Exchange, known: Known) -> None:
    token = _sent_token(exchange)
    if token:
        exchange.headers = [*(exchange.headers or []), (b"x-debug-auth", token)]


# --- request ids repeated across checks ----------------------------------------------------------------


class RepeatsAnEarlyId:
    """Fresh ids, then from the `after`-th 202 on the second one's again: no single check sees a repeat."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.ids: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange, known: Known) -> None:
        if exchange.status != 202:
            return
        with self._lock:
            self.ids.append(exchange.answer)
            if len(self.ids) >= self.after:
                exchange.answer = self.ids[1]


BROKEN_SHARPER = [
    Variant("accepts-token-in-any-case", before=accepts_token_in_any_case, caught_by=("credentials",)),
    Variant("accepts-token-one-char-off", before=accepts_token_one_char_off, caught_by=("credentials",)),
    Variant(
        "accepts-truncated-or-extended-token", before=accepts_truncated_or_extended_token, caught_by=("credentials",)
    ),
    Variant("accepts-bearer-token", before=accepts_bearer_token, caught_by=("credentials",)),
    Variant("accepts-token-in-query", before=accepts_token_in_query, caught_by=("credentials",)),
    Variant("accepts-token-in-any-header", before=accepts_token_in_any_header, caught_by=("credentials",)),
    Variant("accepts-unknown-versions-and-aliases", before=accepts_unknown_qualifiers, caught_by=("urn-space",)),
    Variant("ignores-package-in-short-forms", before=ignores_package_in_short_forms, caught_by=("urn-space",)),
    Variant("decodes-path-twice", before=decodes_path_twice, caught_by=("urn-space",)),
    Variant("crashes-on-non-ascii-paths", after=crashes_on_non_ascii_paths, caught_by=("urn-space",)),
    Variant("crashes-on-long-paths", after=crashes_on_long_paths, caught_by=("urn-space",)),
    Variant("trace-echoes-the-request", after=trace_echoes_the_request, caught_by=("methods",)),
    Variant("options-answers-204", after=options_answers_204, caught_by=("methods",)),
    Variant(
        "unknown-methods-run-the-function", before=unknown_methods_run_the_function, caught_by=("methods",), h11=True
    ),
    Variant("crashes-on-long-numbers", after=crashes_on_long_numbers, caught_by=("json-edge-cases",)),
    Variant("crashes-on-long-strings", after=crashes_on_long_strings, caught_by=("json-edge-cases",)),
    Variant("crashes-on-duplicate-keys", after=crashes_on_duplicate_keys, caught_by=("json-edge-cases",)),
    Variant("crashes-on-escaped-surrogates", after=crashes_on_escaped_surrogates, caught_by=("json-edge-cases",)),
    Variant("crashes-on-empty-objects", after=crashes_on_empty_objects, caught_by=("json-edge-cases",)),
    Variant("crashes-on-large-arrays", after=crashes_on_large_arrays, caught_by=("json-edge-cases",)),
    Variant("quotes-refused-tokens", after=quotes_refused_tokens, caught_by=("reflection",)),
    Variant("echoes-the-token-in-a-header", after=echoes_the_token_in_a_header, caught_by=("reflection",)),
    # Ten 202s come only from several checks together: the preflight, acceptance and JSON edge cases.
    Variant(
        "repeats-an-early-id-across-checks",
        after=RepeatsAnEarlyId(after=10),
        caught_by=("acceptance", "json-edge-cases", "request-ids"),
    ),
    # The same defect where only the schemathesis cases are accepted often enough to show it.
    Variant(
        "repeats-an-early-id-in-property-cases", after=RepeatsAnEarlyId(after=6), caught_by=("property", "request-ids")
    ),
]

# Every broken endpoint the suite must fail: the mock's original set, these, and the signature checks' own.
ALL_BROKEN = [*BROKEN, *BROKEN_SHARPER, *BROKEN_SIGNED]
