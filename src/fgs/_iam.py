"""IAM password login, sans-IO: the request, the reading of the answer, and a token cache.

The HTTP call itself is the caller's (a `Send` or `AsyncSend`), so each client brings its own
transport. Refreshes are single-flight: concurrent threads share one login under a lock, concurrent
tasks share one task.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fgs._redact import Redactor
from fgs.errors import API_ERRORS, AuthenticationError, FgsError, ProtocolError

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("fgs")

REFRESH_AHEAD = 120.0
"""Seconds before `expires_at` at which a token is replaced, as keystoneauth does."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes = field(repr=False)


Send = Callable[[HttpRequest], HttpResponse]
AsyncSend = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True)
class IamToken:
    value: str = field(repr=False)
    expires_at: float
    refresh_at: float
    project_id: str | None = None


def login_body(*, domain: str, user: str, password: str, project: str) -> bytes:
    """The password login of making_an_api_request.rst, scoped to the project named."""
    auth = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}},
        },
        "scope": {"project": {"name": project}},
    }
    return json.dumps({"auth": auth}).encode()


def parse_login(response: HttpResponse, *, now: float, secrets: tuple[str, ...] = ()) -> IamToken:
    """The token of a 201 (`X-Subject-Token`, `token.expires_at`), or the FgsError that explains why not."""
    value = response.headers.get("x-subject-token", "").strip()
    body = _blank(response.body, (*secrets, value))
    if response.status != 201:
        raise _refusal(response.status, body)
    if not value:
        raise ProtocolError("IAM answered 201 without X-Subject-Token", status=201, body=body)
    try:
        token = json.loads(response.body)["token"]
        expires_at = _timestamp(token["expires_at"])
        project = token.get("project")
        project_id = project.get("id") if isinstance(project, dict) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ProtocolError("IAM answered 201 without a usable token.expires_at", status=201, body=body) from None
    if expires_at <= now:
        raise ProtocolError("IAM answered with a token that has already expired", status=201, body=body)
    ahead = min(REFRESH_AHEAD, (expires_at - now) / 2)
    return IamToken(value, expires_at, expires_at - ahead, project_id if isinstance(project_id, str) else None)


def _timestamp(value: Any) -> float:
    if not isinstance(value, str):
        raise TypeError("expires_at is not a string")
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _blank(body: bytes, secrets: tuple[str, ...]) -> bytes:
    # Every spelling a server may echo a secret in (raw, JSON-escaped, percent-encoded), not only raw.
    return Redactor(*secrets).bytes(body) if body else body


def _refusal(status: int, body: bytes) -> FgsError:
    code, message = _error_fields(body)
    cls = API_ERRORS.get(status, ProtocolError)
    if status == 401:
        cls = AuthenticationError
    return cls(f"IAM refused the login with {status}", status=status, error_code=code, error_msg=message, body=body)


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    """FunctionGraph's `{error_code, error_msg}` or keystone's `{"error": {code, message}}`."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = {"error_code": str(data["error"].get("code")), "error_msg": data["error"].get("message")}
    if not isinstance(data, dict):
        return None, None
    code, message = data.get("error_code"), data.get("error_msg")
    return (code if isinstance(code, str) else None, message if isinstance(message, str) else None)


class TokenCache:
    """The current token, when it is due for replacement, and one login at a time to replace it."""

    def __init__(
        self,
        login: Callable[[], HttpRequest],
        parse: Callable[[HttpResponse, float], IamToken],
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._login = login
        self._parse = parse
        self._wall = wall
        self._monotonic = monotonic
        self._token: IamToken | None = None
        # When the token is due, on the monotonic clock: the wall clock stepping after the login (back or
        # forward) neither keeps an expired token nor throws away a good one.
        self._refresh_at = 0.0
        self._stale: str | None = None
        self._lock = threading.Lock()
        self._task: asyncio.Future[None] | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenCache(refreshes={self.refreshes}, due={self.due()})"

    @property
    def token(self) -> IamToken | None:
        return self._token

    def due(self, now: float | None = None) -> bool:
        """Whether to log in again; `now`, a wall-clock time, is for callers that drive time themselves."""
        token = self._token
        if token is None or token.value == self._stale:
            return True
        if now is not None:
            return now >= token.refresh_at
        return self._monotonic() >= self._refresh_at

    def mark_refused(self, value: str) -> None:
        """A 401 answered `value`: the next call logs in again, unless another token has replaced it."""
        self._stale = value

    def ensure(self, send: Send, now: float | None = None) -> IamToken:
        token = self._token
        if token is not None and not self.due(now):
            return token
        with self._lock:
            token = self._token
            if token is None or self.due(now):
                token = self._store(send(self._login()), now)
            return token

    async def aensure(self, send: AsyncSend, now: float | None = None) -> IamToken:
        import asyncio  # only async callers pay for it, so `import fgs` stays cheap

        token = self._token
        if token is None or self.due(now):
            task = self._task
            if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
                task = self._task = asyncio.ensure_future(self._alogin(send, now))
            # shield: one caller giving up must not cancel the login the others wait for
            await asyncio.shield(task)
            token = self._token
        assert token is not None
        return token

    async def _alogin(self, send: AsyncSend, now: float | None) -> None:
        self._store(await send(self._login()), now)

    def _store(self, response: HttpResponse, now: float | None) -> IamToken:
        wall = self._wall() if now is None else now
        token = self._parse(response, wall)
        # The one moment the wall clock is read: IAM states expiry in wall time, and only the time left counts.
        self._refresh_at = self._monotonic() + (token.refresh_at - wall)
        self._token = token
        self.refreshes += 1
        log.debug("fgs: IAM token refreshed (%d so far), valid until %s", self.refreshes, token.expires_at)
        return token
