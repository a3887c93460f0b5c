"""The mock's HTTP layer: a plain ASGI app that turns requests into questions for the Backend.

Where the docs leave a choice, the dialect (`fgs_mock.dialects`) decides: each refusal is a situation,
and the dialect gives its status, code, body keys and headers. In the documented dialect every answer is
a status the spec documents with an `{error_code, error_msg}` JSON body, except 405 (with Allow) for
methods the operation does not declare. The `/_mock/` control routes are not part of the contract.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from fgs.error_codes import ERROR_CODES
from fgs_mock import faults, iam, urls
from fgs_mock.answers import error as control_error
from fgs_mock.auth import FORBIDDEN, AuthRefusal
from fgs_mock.clock import HttpDate
from fgs_mock.commits import GroupCommit
from fgs_mock.control import MAX_CONTROL_BODY, Control
from fgs_mock.dialects import Answer, Dialect, builtin
from fgs_mock.lifecycle import METHODS, Lifecycle
from fgs_mock.models import Backend, Fault, Refusal
from fgs_mock.store import StoreUnavailable
from fgs_mock.urn import FunctionRef

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 6 * 1024 * 1024
STORE_RETRY_AFTER = b"1"  # seconds: space may come back any time, and a retry costs the client little
log = logging.getLogger("fgs_mock")
_JSON = b"application/json"


LENIENT = builtin("lenient")
# Refusals of the state layer, by the situation of the dialect that answers them.
_SITUATION_OF_CODE = {
    "FSS.1309": "malformed-urn",
    "FSS.0403": "other-project-in-urn",
    "FSS.1051": "unknown-function",
    "FSS.1052": "unknown-version",
    "FSS.1053": "unknown-alias",
}
Headers = list[tuple[bytes, bytes]]
Answered = tuple[int, bytes, Headers]


class _Refused(Exception):
    """A request in one of the dialect's situations: the dialect says how it is answered."""

    def __init__(self, situation: str, detail: str | None = None) -> None:
        super().__init__(situation)
        self.situation = situation
        self.detail = detail  # said after the answer's message, e.g. how a short URN was read


class _TooLarge(Exception):
    pass


class _HungUp(Exception):
    """The client left before its request was complete: there is no one to answer, and nothing to record."""


# Headers a request carries at most once; two different values leave the request ambiguous.
SINGULAR_HEADERS = frozenset({b"x-auth-token", b"content-type", b"content-length", b"host"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every body: json.loads with an argument builds a new one per call.
_EVENT = json.JSONDecoder(parse_constant=_reject_constant)


def _json(body: bytes) -> Any:
    """The body's JSON value, in any encoding JSON allows, as json.loads reads bytes (NaN and Infinity
    refused); an integer past 64 bits may come back as a float. The mock only asks for its shape.

    orjson reads a body in 0.2 µs where the stdlib took 1.6 µs, and refuses nothing the stdlib reads:
    what it refuses (UTF-16 and UTF-32, a BOM, a lone surrogate, deep nesting, a float past its range)
    the stdlib decides. contract_tests/mock/test_body_json.py holds the two to the same verdicts.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _EVENT.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


def _is_json_media_type(value: bytes | None) -> bool:
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() == _JSON


class MockApp:
    def __init__(
        self,
        backend: Backend,
        dialect: Dialect | None = None,
        max_body: int | None = None,
        *,
        control_token: str | None = None,
    ) -> None:
        self.backend = backend
        self.dialect = dialect = dialect if dialect is not None else builtin("documented")
        self.max_body = max_body if max_body is not None else dialect.max_bytes
        self.control = Control(backend, control_token)
        self.lifecycle = Lifecycle(backend, backend.region, dialect, self._error)
        self.commits = GroupCommit(backend)
        self._date = HttpDate(backend.engine.clock)
        self._headers = [(b"content-type", dialect.content_type)]
        # Bodies the dialect answers alike every time; those that carry a request id are built per answer.
        self._bodies = {
            situation: dialect.error_body(answer, None)
            for situation, answer in dialect.answers.items()
            if "request_id" not in answer.keys
        }

    def _refused(self, situation: str, allow: str = "POST", detail: str | None = None) -> Answered:
        answer = self.dialect.answers[situation]
        extra = [(b"allow", allow.encode())] if answer.allow else []
        body = self._bodies.get(situation)
        if body is not None and detail is None:
            return answer.status, body, extra
        message = None
        if detail is not None:
            listed = ERROR_CODES.get(answer.error_code or "")
            message = f"{answer.error_msg or (listed.message if listed else 'Refused.')} ({detail})"
        request_id = self.dialect.new_id() if "request_id" in answer.keys else None
        headers = [*extra, *self._request_id(request_id)] if request_id is not None else extra
        return answer.status, self.dialect.error_body(answer, request_id, message=message), headers

    def _error(self, status: int, code: str, message: str | None = None, keys: tuple[str, ...] = ()) -> Answered:
        """Any other error: its code and status, with these keys, else those this dialect puts in error bodies."""
        template = self.dialect.answers["cancel-unknown"]
        answer = Answer(status, code, keys or template.keys or ("error_code", "error_msg"))
        request_id = self.dialect.new_id() if "request_id" in answer.keys else None
        extra = self._request_id(request_id) if request_id is not None else []
        return status, self.dialect.error_body(answer, request_id, message=message), extra

    def _request_id(self, request_id: str) -> list[tuple[bytes, bytes]]:
        return [(b"x-request-id", request_id.encode())] if self.dialect.x_request_id else []

    def _refusal(self, refusal: Refusal) -> Answered:
        """A refusal by its code, its message naming what was read when it says (a short form's reading)."""
        message = None if refusal.detail is None else f"{ERROR_CODES[refusal.code].message} ({refusal.detail})"
        return self._error(ERROR_CODES[refusal.code].status, refusal.code, message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        found = urls.match(scope.get("raw_path") or scope["path"].encode())
        try:
            if found.route == "control":
                await self._control(scope, found.params["name"], receive, send)
                return
            try:
                body = await self._read_body(receive, self.max_body)
            except _TooLarge:
                body = None
            if found.route == "invoke":
                fault = self.backend.faults.draw() if scope["method"] == "POST" else None
                if fault is not None and await faults.play(fault, scope, receive):
                    return
                status, payload, extra = self._invoke(scope, found.params, body, fault)
                if status == 202 and not await self.commits.stored():
                    status, payload, extra = self._unavailable()
                self.control.answered[status] = self.control.answered.get(status, 0) + 1
            elif found.route in METHODS:
                status, payload, extra = self._lifecycle(scope, found.route, found.params, body)
            elif found.route == "iam":
                status, payload, extra = iam.answer(self.backend.iam, scope["method"], body)
            else:
                status, payload, extra = self._refused("unknown-route")
        except _HungUp:
            return
        except StoreUnavailable:
            status, payload, extra = self._unavailable(found.route)
        if self.dialect.x_request_id and found.route != "iam" and not any(k == b"x-request-id" for k, _ in extra):
            extra = [*extra, *self._request_id(self.dialect.new_id())]
        await self._send(send, scope["method"], status, payload, extra)

    def _unavailable(self, route: str = "invoke") -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """A write the store could not make (a full disk): never a success, but an error to retry.

        The invocation documents 503; the lifecycle pages document no 503, and 500 is their server error.
        """
        status = 500 if route in METHODS else 503
        status, body, extra = self._error(status, f"FSS.0{status}")
        return status, body, [*extra, (b"retry-after", STORE_RETRY_AFTER)]

    async def _control(self, scope: Scope, name: str, receive: Receive, send: Send) -> None:
        """Test hooks under /_mock/: not part of the contract."""
        if not self.control.authorised(scope["headers"]):
            answer = control_error(401, "FSS.0401", "The control token is missing or wrong.")
        else:
            try:
                body = await self._read_body(receive, MAX_CONTROL_BODY)
            except _TooLarge:
                answer = control_error(413, "FSS.0413", f"Control bodies are capped at {MAX_CONTROL_BODY} bytes.")
            else:
                answer = self.control.handle(scope["method"], name, scope.get("query_string", b""), body)
        await self._send(send, scope["method"], *answer)

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _HungUp
            chunk = message.get("body", b"")
            size += len(chunk)
            # Keep draining past the limit so the connection stays usable, but keep nothing more.
            if size > limit:
                chunks.clear()
            elif chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if size > limit:
            raise _TooLarge
        return b"".join(chunks)

    def _invoke(self, scope: Scope, params: dict[str, str], body: bytes | None, fault: Fault | None = None) -> Answered:
        if scope["method"] != "POST":
            return self._refused("undeclared-method")
        if fault is not None and fault.status is not None:
            status, payload, extra = self._error(fault.status, f"FSS.0{fault.status}")
            return status, payload, [*extra, *faults.retry_after(fault)]
        try:
            headers = _headers(scope)
            request_id = self.dialect.external_id(self._accept(scope, headers, params, body))
        except Refusal as refusal:
            return self._refusal(refusal)
        except _Refused as refused:
            return self._refused(refused.situation, detail=refused.detail)
        return 202, b'{"request_id":"' + request_id.encode() + b'"}', self._request_id(request_id)

    def _lifecycle(self, scope: Scope, route: str, params: dict[str, str], body: bytes | None) -> Answered:
        allowed = METHODS[route]
        if scope["method"] not in allowed:
            return self._refused("undeclared-method", ", ".join(allowed))
        try:
            headers = _headers(scope)
            function = self._function(scope, headers, params, body)
            if scope["method"] in ("POST", "PUT"):
                if body is None:
                    raise _Refused("oversized-body")
                if not _is_json_media_type(headers.get(b"content-type")):
                    self._tolerate("wrong-media-type")
        except Refusal as refusal:
            return self._refusal(refusal)
        except _Refused as refused:
            return self._refused(refused.situation, detail=refused.detail)
        return self.lifecycle.handle(route, scope["method"], function, scope.get("query_string", b""), body)

    def _tolerate(self, situation: str) -> None:
        """Go on if the dialect accepts what the docs leave open here; else refuse as it says."""
        if not self.dialect.answers[situation].accepts:
            raise _Refused(situation)

    def _function(
        self, scope: Scope, headers: dict[bytes, bytes], params: dict[str, str], body: bytes | None
    ) -> FunctionRef:
        """The function the path names, for the project the credential grants; or why not."""
        project = self._caller(scope, headers, body)
        if params["project_id"] != project:
            raise _Refused("other-project-in-path")
        try:
            return self.backend.resolve(project, params["function_urn"])
        except Refusal as refusal:
            situation = _SITUATION_OF_CODE.get(refusal.code)
            if situation is None:
                raise
            raise _Refused(situation, refusal.detail) from None

    def _accept(self, scope: Scope, headers: dict[bytes, bytes], params: dict[str, str], body: bytes | None) -> str:
        function = self._function(scope, headers, params, body)
        if body is None:
            self._tolerate("oversized-body")  # a dialect that accepts it reads more than this mock keeps
        if not body:
            raise _Refused("missing-body")
        if not _is_json_media_type(headers.get(b"content-type")):
            self._tolerate("wrong-media-type")
        if _deeper_than(body, self.dialect.max_depth):
            self._tolerate("too-deep")
        try:
            event = _json(body)
        except RecursionError:
            raise _Refused("too-deep") from None
        except ValueError:
            raise _Refused("invalid-json") from None
        if not isinstance(event, dict):
            raise _Refused("not-an-object")
        return self.backend.stage(function, body).request_id

    def _caller(self, scope: Scope, headers: dict[bytes, bytes], body: bytes | None) -> str:
        """The project the request's credential grants: its X-Auth-Token if it has one, else its signature.

        A token decides alone: a request that carries one is never judged by an `Authorization` beside it.
        """
        token = headers.get(b"x-auth-token")
        if token is not None:
            value = token.decode("latin-1")
            project = self.backend.project_for(value) or self.backend.iam.project_for_token(value)
            if project is None:
                raise _Refused("wrong-token")
            return project
        if b"authorization" not in headers:
            raise _Refused("no-token")
        if body is None:  # over the cap: the signed payload cannot be hashed
            raise _Refused("oversized-body")
        try:
            raw_path = scope.get("raw_path") or scope["path"].encode()
            query = scope.get("query_string", b"")
            caller = self.backend.keys.verify(scope["method"], raw_path, query, scope["headers"], body)
        except AuthRefusal as refusal:
            # A valid signature for another project than the path's.
            raise _Refused("other-project-in-path" if refusal.code == FORBIDDEN else "refused-signature") from None
        return caller.project_id

    async def _send(self, send: Send, method: str, status: int, payload: bytes, extra: Headers) -> None:
        date = (b"date", self._date())
        headers = (
            [*self._headers, (b"content-length", str(len(payload)).encode()), date, *extra]
            if payload
            else [date, *extra]
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by name; a singular header sent twice with different values is refused.

    ASGI servers lower-case header names.
    """
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if found.setdefault(name, value) != value and name in SINGULAR_HEADERS:
            raise Refusal("FSS.0400")
    return found


def _deeper_than(body: bytes, limit: int) -> bool:
    """Whether objects and arrays nest deeper than `limit`, strings skipped, without parsing.

    Counting brackets first keeps the walk off the hot path: most bodies cannot be that deep.
    """
    if body.count(b"{") + body.count(b"[") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in b"{[":
            depth += 1
            if depth > limit:
                return True
        elif byte in b"}]":
            depth -= 1
    return False


def create_app(
    backend: Backend | None = None, dialect: Dialect | None = None, *, control_token: str | None = None
) -> MockApp:
    return MockApp(backend if backend is not None else Backend.with_defaults(), dialect, control_token=control_token)
