"""The mock's HTTP layer: a plain ASGI app that turns requests into questions for the Backend.

Every answer is a status the spec documents with an `{error_code, error_msg}` JSON body, except 405 (with
Allow) for methods the operation does not declare and the `/_mock/` control routes, which are not part
of the contract.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fgs.error_codes import ERROR_CODES
from fgs_mock import faults, iam, urls
from fgs_mock.answers import error as control_error
from fgs_mock.auth import FORBIDDEN, AuthRefusal
from fgs_mock.control import MAX_CONTROL_BODY, Control
from fgs_mock.lifecycle import METHODS, Lifecycle
from fgs_mock.models import Backend, Fault, Refusal
from fgs_mock.urn import FunctionRef

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 6 * 1024 * 1024
log = logging.getLogger("fgs_mock")
_JSON = b"application/json"


@dataclass(frozen=True)
class Dialect:
    """Answers on which the docs leave a choice. Each setting here is still a correct endpoint."""

    bad_token_status: int = 401
    extra_error_fields: bool = False
    content_type: bytes = _JSON

    def __post_init__(self) -> None:
        if self.bad_token_status not in (401, 403):
            raise ValueError("a refused token gets 401 or 403")


LENIENT = Dialect(bad_token_status=403, extra_error_fields=True, content_type=b"application/json;charset=UTF-8")


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
    """The body's JSON value, in any encoding JSON allows, as json.loads reads bytes."""
    return _EVENT.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


def _is_json_media_type(value: bytes | None) -> bool:
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() == _JSON


class MockApp:
    def __init__(
        self,
        backend: Backend,
        dialect: Dialect = Dialect(),
        max_body: int = MAX_BODY,
        *,
        control_token: str | None = None,
    ) -> None:
        self.backend = backend
        self.dialect = dialect
        self.max_body = max_body
        self.control = Control(backend, control_token)
        self.lifecycle = Lifecycle(backend, backend.region)
        self._waiting: list[asyncio.Future[bool]] = []  # the calls of this turn, until their commit
        self._headers = [(b"content-type", dialect.content_type)]
        self._error_bodies = {code: self._error_body(code) for code in ERROR_CODES}
        # The error-code table has no 405 row; this code is the mock's own, outside the contract.
        self._method_not_allowed = json.dumps({"error_code": "FSS.0405", "error_msg": "Method not allowed."}).encode()

    def _error_body(self, code: str) -> bytes:
        body: dict[str, object] = {"error_code": code, "error_msg": ERROR_CODES[code].message}
        if self.dialect.extra_error_fields:
            body["error_detail"] = {"source": "fgs-mock", "status": ERROR_CODES[code].status}
        return json.dumps(body).encode()

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
                if status == 202 and not await self._committed():
                    status, payload, extra = 503, self._error_bodies["FSS.0503"], []
                self.control.answered[status] = self.control.answered.get(status, 0) + 1
            elif found.route in METHODS:
                status, payload, extra = self._lifecycle(scope, found.route, found.params, body)
            elif found.route == "iam":
                status, payload, extra = iam.answer(self.backend.iam, scope["method"], body)
            else:
                status, payload, extra = 404, self._error_bodies["FSS.0404"], []
        except _HungUp:
            return
        await self._send(send, scope["method"], status, payload, extra)

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

    def _invoke(
        self, scope: Scope, params: dict[str, str], body: bytes | None, fault: Fault | None = None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        if scope["method"] != "POST":
            return 405, self._method_not_allowed, [(b"allow", b"POST")]
        if fault is not None and fault.status is not None:
            return fault.status, self._error_bodies[f"FSS.0{fault.status}"], faults.retry_after(fault)
        try:
            headers = _headers(scope)
            request_id = self._accept(scope, headers, params, body)
        except Refusal as refusal:
            return ERROR_CODES[refusal.code].status, self._error_bodies[refusal.code], []
        return 202, b'{"request_id":"' + request_id.encode() + b'"}', []

    def _lifecycle(
        self, scope: Scope, route: str, params: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        allowed = METHODS[route]
        if scope["method"] not in allowed:
            return 405, self._method_not_allowed, [(b"allow", ", ".join(allowed).encode())]
        try:
            headers = _headers(scope)
            function = self._function(scope, headers, params, body)
            if scope["method"] in ("POST", "PUT") and not _is_json_media_type(headers.get(b"content-type")):
                raise Refusal("FSS.0400")
        except Refusal as refusal:
            return ERROR_CODES[refusal.code].status, self._error_bodies[refusal.code], []
        return self.lifecycle.handle(route, scope["method"], function, scope.get("query_string", b""), body)

    def _function(
        self, scope: Scope, headers: dict[bytes, bytes], params: dict[str, str], body: bytes | None
    ) -> FunctionRef:
        """The function the path names, for the project the credential grants; or the Refusal."""
        project = self._caller(scope, headers, body)
        if params["project_id"] != project:
            raise Refusal("FSS.0403")
        return self.backend.resolve(project, params["function_urn"])

    def _accept(self, scope: Scope, headers: dict[bytes, bytes], params: dict[str, str], body: bytes | None) -> str:
        function = self._function(scope, headers, params, body)
        if body is None or not body or not _is_json_media_type(headers.get(b"content-type")):
            raise Refusal("FSS.0400")
        try:
            event = _json(body)
        except (ValueError, RecursionError):
            raise Refusal("FSS.0400") from None
        if not isinstance(event, dict):
            raise Refusal("FSS.0400")
        return self.backend.stage(function, body).request_id

    async def _committed(self) -> bool:
        """Group commit: the calls accepted in one turn of the event loop are recorded in one transaction,
        before any of their 202s goes out. A file store's commit costs as much as dozens of rows.

        Each call waits on a future of its own, so that one cancelled call cancels no other."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._flush)
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(waiter)
        return await waiter

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            self.backend.commit_staged()
        except Exception:
            log.exception("the store refused a batch of accepted invocations; they were answered 503")
            stored = False
        else:
            stored = True
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(stored)

    def _caller(self, scope: Scope, headers: dict[bytes, bytes], body: bytes | None) -> str:
        """The project the request's credential grants: its X-Auth-Token if it has one, else its signature.

        A token decides alone: a request that carries one is never judged by an `Authorization` beside it.
        """
        token = headers.get(b"x-auth-token")
        project: str | None = None
        if token is not None:
            value = token.decode("latin-1")
            project = self.backend.project_for(value) or self.backend.iam.project_for_token(value)
        elif b"authorization" in headers:
            if body is None:  # over the cap: the signed payload cannot be hashed
                raise Refusal("FSS.0400")
            try:
                raw_path = scope.get("raw_path") or scope["path"].encode()
                caller = self.backend.keys.verify(
                    scope["method"], raw_path, scope.get("query_string", b""), scope["headers"], body
                )
            except AuthRefusal as refusal:
                if refusal.code == FORBIDDEN:  # a valid signature for another project than the path's
                    raise
            else:
                project = caller.project_id
        if project is None:
            raise Refusal("FSS.0401" if self.dialect.bad_token_status == 401 else "FSS.0403")
        return project

    async def _send(
        self, send: Send, method: str, status: int, payload: bytes, extra: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [*self._headers, (b"content-length", str(len(payload)).encode()), *extra] if payload else extra
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


def create_app(
    backend: Backend | None = None, dialect: Dialect = Dialect(), *, control_token: str | None = None
) -> MockApp:
    return MockApp(backend if backend is not None else Backend.with_defaults(), dialect, control_token=control_token)
