"""The mock's HTTP layer: a plain ASGI app that turns requests into questions for the Backend.

Every answer is a status the spec documents with an `{error_code, error_msg}` JSON body, except 405 (with
Allow) for methods the operation does not declare and the `/_mock/` control routes, which are not part
of the contract.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fgs.error_codes import ERROR_CODES
from fgs_mock import urls
from fgs_mock.models import Backend, Refusal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 6 * 1024 * 1024
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_json_media_type(value: bytes | None) -> bool:
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() == _JSON


class MockApp:
    def __init__(self, backend: Backend, dialect: Dialect = Dialect(), max_body: int = MAX_BODY) -> None:
        self.backend = backend
        self.dialect = dialect
        self.max_body = max_body
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
            body = await self._read_body(receive)
        except _TooLarge:
            body = None
        if found.route == "invoke":
            status, payload, extra = self._invoke(scope, found.params, body)
        elif found.route == "control":
            status, payload, extra = self._control(scope["method"], found.params["name"], body)
        else:
            status, payload, extra = 404, self._error_bodies["FSS.0404"], []
        await self._send(send, scope["method"], status, payload, extra)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        too_large = False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            # Keep draining past the limit so the connection stays usable, but keep nothing more.
            if size > self.max_body:
                too_large = True
                chunks.clear()
            elif chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if too_large:
            raise _TooLarge
        return b"".join(chunks)

    def _invoke(
        self, scope: Scope, params: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        if scope["method"] != "POST":
            return 405, self._method_not_allowed, [(b"allow", b"POST")]
        fault = self.backend.faults.draw()
        if fault is not None:
            return fault, self._error_bodies["FSS.0500" if fault == 500 else "FSS.0503"], []
        headers = _headers(scope)
        try:
            request_id = self._accept(headers, params, body)
        except Refusal as refusal:
            return ERROR_CODES[refusal.code].status, self._error_bodies[refusal.code], []
        return 202, b'{"request_id":"' + request_id.encode() + b'"}', []

    def _accept(self, headers: dict[bytes, bytes], params: dict[str, str], body: bytes | None) -> str:
        token = headers.get(b"x-auth-token")
        project = self.backend.project_for(token.decode("latin-1") if token is not None else None)
        if project is None:
            raise Refusal("FSS.0401" if self.dialect.bad_token_status == 401 else "FSS.0403")
        if params["project_id"] != project:
            raise Refusal("FSS.0403")
        function = self.backend.resolve(project, params["function_urn"])
        if body is None or not body or not _is_json_media_type(headers.get(b"content-type")):
            raise Refusal("FSS.0400")
        try:
            event = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise Refusal("FSS.0400") from None
        if not isinstance(event, dict):
            raise Refusal("FSS.0400")
        return self.backend.accept(function, body).request_id

    def _control(self, method: str, name: str, body: bytes | None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """Test hooks under /_mock/: not part of the contract, loopback use only."""
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                raise TypeError("expected a JSON object")
            if name == "invocations" and method == "GET":
                latest = list(self.backend.invocations)[-100:]
                listed = [
                    {"request_id": i.request_id, "function": i.function.short_urn, "size": len(i.body)} for i in latest
                ]
                return 200, json.dumps({"count": len(self.backend.invocations), "latest": listed}).encode(), []
            if name == "faults" and method == "POST":
                self.backend.faults.set(
                    status=int(args.get("status", 503)),
                    next_count=int(args.get("next", 0)),
                    share=float(args.get("share", 0.0)),
                    seed=args.get("seed"),
                )
                return 204, b"", []
            if name == "faults" and method == "DELETE":
                self.backend.faults.clear()
                return 204, b"", []
            if name == "functions" and method == "POST":
                ref = self.backend.register_function(str(args["urn"]), project_id=args.get("project_id"))
                return 201, json.dumps({"function": ref.short_urn}).encode(), []
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            return 400, json.dumps({"error_code": "FSS.0400", "error_msg": f"Invalid parameter: {exc}"}).encode(), []
        return 404, self._error_bodies["FSS.0404"], []

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
    # ASGI servers lower-case header names; the first of repeated headers wins.
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


def create_app(backend: Backend | None = None, dialect: Dialect = Dialect()) -> MockApp:
    return MockApp(backend if backend is not None else Backend.with_defaults(), dialect)
