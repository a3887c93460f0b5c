"""Endpoints for proving the suite: the mock with one contract break switched on, and correct variants.

Each defect is an ASGI wrapper that edits the request before the mock sees it, or the answer after,
so the mock itself stays correct and each defect stays one small, readable function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, unquote

from fgs_mock import LENIENT, Backend, Dialect, create_app
from fgs_mock.dialects import builtin
from fgs_mock.responses import Message, Receive, Scope, Send
from fgs_mock.server import ASGIApp
from fgs_mock.urn import MalformedUrn, parse_urn

Headers = list[tuple[bytes, bytes]]


@dataclass
class Exchange:
    """One request and its answer, as a defect sees and edits them."""

    scope: Scope
    body: bytes
    status: int = 0
    headers: Headers | None = None
    answer: bytes = b""

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in (self.headers or self.scope["headers"]) if k == name), None)


class Known(NamedTuple):
    """What the real endpoint is configured with, so a defect can forge a valid-looking request."""

    token: str
    project_id: str
    function_urn: str


Edit = Callable[[Exchange, Known], None]


def wrap(app: ASGIApp, known: Known, before: Edit | None = None, after: Edit | None = None) -> ASGIApp:
    async def mutant(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        exchange = Exchange(scope=dict(scope), body=b"".join(chunks))
        if before is not None:
            before(exchange, known)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": exchange.body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status, exchange.headers = message["status"], list(message["headers"])
            else:
                exchange.answer += message.get("body", b"")

        if not exchange.status:  # a `before` edit may answer the request itself
            await app(exchange.scope, replay, capture)
        if after is not None:
            after(exchange, known)
        headers = [(k, v) for k, v in exchange.headers or [] if k != b"content-length"]
        headers.append((b"content-length", str(len(exchange.answer)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": headers})
        await send({"type": "http.response.body", "body": exchange.answer})

    return mutant


# --- request edits: the endpoint lets through what it must refuse -------------------------------------


def set_header(exchange: Exchange, name: bytes, value: bytes) -> None:
    exchange.scope["headers"] = [(k, v) for k, v in exchange.scope["headers"] if k != name] + [(name, value)]


def accepts_any_token(exchange: Exchange, known: Known) -> None:
    if exchange.header(b"x-auth-token") is not None:
        set_header(exchange, b"x-auth-token", known.token.encode())


def accepts_missing_token(exchange: Exchange, known: Known) -> None:
    if exchange.header(b"x-auth-token") is None:
        set_header(exchange, b"x-auth-token", known.token.encode())


def path_segments(exchange: Exchange) -> list[str]:
    return list(exchange.scope["raw_path"].decode().split("/"))


def set_path_segments(exchange: Exchange, segments: list[str]) -> None:
    exchange.scope["raw_path"] = "/".join(segments).encode()


def ignores_project_in_path(exchange: Exchange, known: Known) -> None:
    segments = path_segments(exchange)
    if len(segments) == 7:
        segments[2] = known.project_id
        set_path_segments(exchange, segments)


def rewrite_urn(exchange: Exchange, rewrite: Callable[[str], str | None]) -> None:
    segments = path_segments(exchange)
    if len(segments) == 7:
        new = rewrite(unquote(segments[5]))
        if new is not None:
            segments[5] = quote(new, safe="")
            set_path_segments(exchange, segments)


def ignores_project_in_urn(exchange: Exchange, known: Known) -> None:
    project = known.project_id
    rewrite_urn(exchange, lambda urn: re.sub(r"^(urn:fss:[^:]*:)[^:]*", rf"\g<1>{project}", urn))


def accepts_unknown_functions(exchange: Exchange, known: Known) -> None:
    def to_known(urn: str) -> str | None:
        try:
            ref = parse_urn(urn)
        except MalformedUrn:
            return None
        real = parse_urn(known.function_urn)
        return None if (ref.package, ref.name) == (real.package, real.name) else known.function_urn

    rewrite_urn(exchange, to_known)


def accepts_non_objects(exchange: Exchange, known: Known) -> None:
    try:
        if not isinstance(json.loads(exchange.body), dict):
            exchange.body = b"{}"
    except ValueError:
        pass


def get_runs_the_function(exchange: Exchange, known: Known) -> None:
    if exchange.scope["method"] == "GET":
        exchange.scope["method"] = "POST"
        exchange.body = b"{}"
        set_header(exchange, b"content-type", b"application/json")


# --- answer edits: the endpoint says the wrong thing ---------------------------------------------------


def answer_with(exchange: Exchange, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    exchange.status, exchange.answer = status, body
    exchange.headers = [(b"content-type", content_type)]


def answers_200(exchange: Exchange, known: Known) -> None:
    if exchange.status == 202:
        exchange.status = 200


def repeats_request_ids(exchange: Exchange, known: Known) -> None:
    if exchange.status == 202:
        exchange.answer = b'{"request_id": "00000000-0000-0000-0000-000000000000"}'


def empty_request_id(exchange: Exchange, known: Known) -> None:
    if exchange.status == 202:
        exchange.answer = b'{"request_id": ""}'


def drops_error_msg(exchange: Exchange, known: Known) -> None:
    if exchange.status >= 400 and exchange.status != 405:
        exchange.answer = json.dumps({"error_code": json.loads(exchange.answer)["error_code"]}).encode()


def numeric_error_code(exchange: Exchange, known: Known) -> None:
    if exchange.status >= 400 and exchange.status != 405:
        exchange.answer = b'{"error_code": 400, "error_msg": "Invalid parameter."}'


def mismatched_error_code(exchange: Exchange, known: Known) -> None:
    if exchange.status == 404:
        exchange.answer = b'{"error_code": "FSS.0400", "error_msg": "Invalid parameter."}'


def html_errors(exchange: Exchange, known: Known) -> None:
    if exchange.status >= 400:
        answer_with(exchange, exchange.status, b"<html><body>error</body></html>", b"text/html")


def text_content_type_on_202(exchange: Exchange, known: Known) -> None:
    if exchange.status == 202:
        exchange.headers = [(b"content-type", b"text/plain")]


def undocumented_422(exchange: Exchange, known: Known) -> None:
    if exchange.status == 400:
        exchange.status = 422


def crash_if(condition: Callable[[Exchange], bool]) -> Edit:
    def edit(exchange: Exchange, known: Known) -> None:
        if exchange.scope["method"] == "POST" and condition(exchange):
            answer_with(exchange, 500, b'{"error_code": "FSS.0500", "error_msg": "Internal server error."}')

    return edit


crashes_on_invalid_json = crash_if(lambda e: e.status == 400 and e.body.strip()[:1] in (b"{", b"\xff"))
crashes_on_large_bodies = crash_if(lambda e: len(e.body) > 64 * 1024)
crashes_on_deep_nesting = crash_if(lambda e: e.body.count(b"{") > 50)
crashes_on_non_ascii = crash_if(lambda e: any(b > 127 for b in e.body))
crashes_on_missing_body = crash_if(lambda e: not e.body)


def crashes_on_undeclared_methods(exchange: Exchange, known: Known) -> None:
    if exchange.status == 405:
        answer_with(exchange, 500, b'{"error_code": "FSS.0500", "error_msg": "Internal server error."}')


def omits_allow(exchange: Exchange, known: Known) -> None:
    if exchange.status == 405:
        exchange.headers = [(k, v) for k, v in exchange.headers or [] if k != b"allow"]


def refuses_large_bodies_with_413(exchange: Exchange, known: Known) -> None:
    if len(exchange.body) > 64 * 1024:
        answer_with(exchange, 413, b'{"error_code": "FSS.0413", "error_msg": "The request body is too large."}')


def echoes_the_token(exchange: Exchange, known: Known) -> None:
    """Quotes the real token in every 202, so that failure reports about those answers quote it too."""
    if exchange.status == 202:
        exchange.answer = json.dumps({**json.loads(exchange.answer), "echo": known.token}).encode()


def refuses_valid_tokens(exchange: Exchange, known: Known) -> None:
    if exchange.status == 202:
        answer_with(exchange, 401, b'{"error_code": "FSS.0401", "error_msg": "Unauthorized access."}')


@dataclass(frozen=True)
class Variant:
    name: str
    before: Edit | None = None
    after: Edit | None = None
    dialect: Dialect = field(default_factory=Dialect)
    # The checks that must catch this defect; the suite runs only these against it. Empty: all checks.
    caught_by: tuple[str, ...] = ()
    # h11 passes any method token to the app; httptools turns unknown methods away before it.
    h11: bool = False

    def build(self, known: Known) -> tuple[ASGIApp, Backend]:
        backend = Backend.with_defaults(token=known.token, project_id=known.project_id, function_urn=known.function_urn)
        app = create_app(backend, self.dialect)
        if self.before is not None or self.after is not None:
            return wrap(app, known, self.before, self.after), backend
        return app, backend


def reads_any_media_type(exchange: Exchange, known: Known) -> None:
    """Still correct: Content-Type is the client's duty; a server may read the JSON regardless."""
    set_header(exchange, b"content-type", b"application/json")


CORRECT = [
    Variant("default"),
    Variant("lenient", dialect=LENIENT),
    Variant("reads-any-media-type", before=reads_any_media_type),
    # The mock's own built-in gateway dialect, beside the wrapper in contract_tests/conformance/gateway.py.
    Variant("gateway-dialect", dialect=builtin("gateway")),
]
BROKEN = [
    Variant("accepts-any-token", before=accepts_any_token, caught_by=("auth",)),
    Variant("accepts-missing-token", before=accepts_missing_token, caught_by=("auth",)),
    Variant("ignores-project-in-path", before=ignores_project_in_path, caught_by=("scoping",)),
    Variant("ignores-project-in-urn", before=ignores_project_in_urn, caught_by=("scoping",)),
    Variant("accepts-unknown-functions", before=accepts_unknown_functions, caught_by=("existence",)),
    Variant("accepts-non-objects", before=accepts_non_objects, caught_by=("bodies",)),
    Variant("get-runs-the-function", before=get_runs_the_function, caught_by=("methods",)),
    Variant("answers-200", after=answers_200, caught_by=("acceptance",)),
    Variant("repeats-request-ids", after=repeats_request_ids, caught_by=("acceptance",)),
    Variant("empty-request-id", after=empty_request_id, caught_by=("acceptance",)),
    Variant("drops-error-msg", after=drops_error_msg, caught_by=("auth",)),
    Variant("numeric-error-code", after=numeric_error_code, caught_by=("auth",)),
    Variant("mismatched-error-code", after=mismatched_error_code, caught_by=("existence",)),
    Variant("html-errors", after=html_errors, caught_by=("auth",)),
    Variant("text-content-type-on-202", after=text_content_type_on_202, caught_by=("acceptance",)),
    Variant("undocumented-422", after=undocumented_422, caught_by=("bodies",)),
    Variant("crashes-on-invalid-json", after=crashes_on_invalid_json, caught_by=("bodies",)),
    Variant("crashes-on-large-bodies", after=crashes_on_large_bodies, caught_by=("bodies",)),
    Variant("crashes-on-deep-nesting", after=crashes_on_deep_nesting, caught_by=("bodies",)),
    Variant("crashes-on-non-ascii", after=crashes_on_non_ascii, caught_by=("bodies",)),
    Variant("crashes-on-missing-body", after=crashes_on_missing_body, caught_by=("bodies",)),
    Variant("crashes-on-undeclared-methods", after=crashes_on_undeclared_methods, caught_by=("methods",)),
    Variant("omits-allow-on-405", after=omits_allow, caught_by=("methods",)),
    Variant("refuses-large-bodies-with-413", after=refuses_large_bodies_with_413, caught_by=("bodies",)),
]
# Refuses the valid token: indistinguishable from wrong credentials, so the preflight stops the run (exit 3).
REFUSES_VALID_TOKENS = Variant("refuses-valid-tokens", after=refuses_valid_tokens)
