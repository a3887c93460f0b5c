"""A loopback endpoint that checks credentials as the service would: an IAM login route and a FunctionGraph one.

`POST /v3/auth/tokens` logs in through the mock's TokenIssuer (tokens live `lifetime` seconds). Every
other request must carry a token that the issuer (or `tokens`) knows, or an SDK-HMAC-SHA256 signature
that the mock's KeyRing verifies over the bytes that arrived; it gets 202, else 401/403 as documented.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from contract_tests.auth.iam import DOMAIN, PROJECT_NAME, USER
from contract_tests.auth.keys import AK, PASSWORD, PROJECT, SECURITY_TOKEN, SK
from fgs.error_codes import ERROR_CODES
from fgs_mock import serve_in_thread
from fgs_mock.auth import AuthRefusal, KeyRing, TokenIssuer

TEMPORARY_AK = "HPUATEMPORARYKEY0002"


async def read_body(receive: Any) -> bytes:
    """An ASGI request's whole body."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


@dataclass
class Seen:
    method: str
    path: str
    query: str
    outcome: str  # "accepted" or the refusal's reason


@dataclass
class Gate:
    lifetime: float = 3600.0
    tokens: set[str] = field(default_factory=set)
    echo: bytes = b""  # added to every refusal's body, to see that the client blanks it
    forbid: bool = False  # refuse even good credentials, with 403
    seen: list[Seen] = field(default_factory=list)
    logins: int = 0
    url: str = ""
    ring: KeyRing = field(default_factory=KeyRing)
    issuer: TokenIssuer = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.issuer = TokenIssuer(self.lifetime)
        self.issuer.add_user(DOMAIN, USER, PASSWORD, PROJECT, PROJECT_NAME)
        self.ring.add(AK, SK, PROJECT)
        self.ring.add(TEMPORARY_AK, SK, PROJECT, security_token=SECURITY_TOKEN)

    @property
    def iam(self) -> str:
        return f"{self.url}/iam"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = await read_body(receive)
        path, query = scope["raw_path"].decode(), scope["query_string"].decode()
        if path == "/iam/v3/auth/tokens":
            status, headers, payload = self._login(body)
        else:
            status, headers, payload = self._call(scope["method"], path, query, scope["headers"], body)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _login(self, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        with self._lock:
            self.logins += 1
        try:
            token = self.issuer.issue(body)
        except AuthRefusal as refusal:
            error = {"error": {"code": 401, "message": refusal.reason}}
            return 401, [(b"content-type", b"application/json")], json.dumps(error).encode() + self.echo
        headers = [(b"content-type", b"application/json"), (b"x-subject-token", token.value.encode())]
        return 201, headers, json.dumps(token.body()).encode()

    def _call(
        self, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        lowered = {name.decode().lower(): value.decode() for name, value in headers}
        try:
            if "authorization" in lowered:
                self.ring.verify(method, path, query, headers, body)
            else:
                token = lowered.get("x-auth-token")
                if token not in self.tokens and self.issuer.project_for_token(token) is None:
                    raise AuthRefusal("FSS.0401", "unknown or expired token")
            if self.forbid:
                raise AuthRefusal("FSS.0403", "forbidden on purpose")
        except AuthRefusal as refusal:
            self.seen.append(Seen(method, path, query, refusal.reason))
            code = ERROR_CODES[refusal.code]
            error = {"error_code": refusal.code, "error_msg": code.message}
            return code.status, [(b"content-type", b"application/json")], json.dumps(error).encode() + self.echo
        self.seen.append(Seen(method, path, query, "accepted"))
        return 202, [(b"content-type", b"application/json")], json.dumps({"request_id": str(uuid.uuid4())}).encode()


@contextmanager
def serving(gate: Gate) -> Iterator[Gate]:
    with serve_in_thread(gate) as url:  # type: ignore[arg-type]
        gate.url = url
        yield gate
