"""How a client proves who it is: a fixed token, an access key pair (signing), or an IAM password login.

Every credential answers the same four calls, none of which does I/O of its own:

    credentials.ensure_fresh(send)          # before a request; IamPassword logs in through `send` when due
    await credentials.aensure_fresh(asend)  # the same for async clients
    credentials.apply(method, url, headers, body, project_id=...)  # -> the headers to add to the request
    credentials.retry_unauthorized(sent)    # after a 401: is one more try with fresh credentials worth it?

Secrets (the token, the secret key, the password) never appear in a repr, an error or a log line.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

from fgs import _signing
from fgs._checks import check_token
from fgs._iam import AsyncSend, HttpRequest, HttpResponse, IamToken, Send, TokenCache, login_body, parse_login
from fgs.errors import InvalidRequestError

TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 - a header name

__all__ = [
    "AccessKey",
    "AsyncSend",
    "Credentials",
    "HttpRequest",
    "HttpResponse",
    "IamPassword",
    "Send",
    "Token",
]


def _require(name: str, value: str) -> str:
    # the value is never quoted: it may be a secret
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\0"):
        raise InvalidRequestError(f"{name} must be a non-empty string on one line")
    return value


class Credentials(ABC):
    """The interface the clients call. Static credentials need nothing fetched and never go stale."""

    __slots__ = ()

    def ensure_fresh(self, send: Send) -> None:
        del send

    async def aensure_fresh(self, send: AsyncSend) -> None:
        del send

    @abstractmethod
    def apply(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        project_id: str | None = None,
        now: float | None = None,
    ) -> dict[str, str]:
        """The headers to add. `headers` are those the client sets itself (they may be signed)."""

    def retry_unauthorized(self, sent: Mapping[str, str]) -> bool:
        """Whether a call refused with 401 may be sent once more. `sent` is what `apply` returned for it."""
        del sent
        return False

    @abstractmethod
    def secrets(self) -> tuple[str, ...]:
        """What must be blanked wherever an answer's text is shown (it may change, as a token is refreshed)."""


class Token(Credentials):
    """A ready-made IAM token, sent as `X-Auth-Token`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = check_token(value)  # it goes into a header as it is

    def __repr__(self) -> str:
        return "Token(<redacted>)"

    def secrets(self) -> tuple[str, ...]:
        return (self._value,)

    def apply(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        project_id: str | None = None,
        now: float | None = None,
    ) -> dict[str, str]:
        return {TOKEN_HEADER: self._value}


class AccessKey(Credentials):
    """An access key pair; temporary ones come with a security token. Requests are signed as the SDK signs."""

    __slots__ = ("_sk", "_token", "access_key")

    def __init__(self, ak: str, sk: str, security_token: str | None = None) -> None:
        self.access_key = _require("access key", ak)
        self._sk = _require("secret key", sk)
        self._token = None if security_token is None else _require("security token", security_token)

    def __repr__(self) -> str:
        temporary = ", security_token=<redacted>" if self._token is not None else ""
        return f"AccessKey({self.access_key!r}, <redacted>{temporary})"

    def secrets(self) -> tuple[str, ...]:
        return (self._sk,) if self._token is None else (self._sk, self._token)

    def apply(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        project_id: str | None = None,
        now: float | None = None,
    ) -> dict[str, str]:
        return _signing.sign(
            method,
            url,
            headers,
            body,
            access_key=self.access_key,
            secret_key=self._sk,
            now=time.time() if now is None else now,
            project_id=project_id,
            security_token=self._token,
        )


class IamPassword(Credentials):
    """A login to IAM (`POST {iam_endpoint}/v3/auth/tokens`) whose token is cached and refreshed.

    The token is replaced 120 s before `expires_at` (or half-way through a shorter life), and once after
    a 401. Concurrent refreshes are one login, for threads and for asyncio tasks alike.
    """

    __slots__ = ("_cache", "_password", "domain", "iam_endpoint", "project", "user")

    def __init__(self, iam_endpoint: str, domain: str, user: str, password: str, project: str) -> None:
        self.iam_endpoint = _require("IAM endpoint", iam_endpoint).rstrip("/")
        self.domain = _require("domain", domain)
        self.user = _require("user", user)
        self._password = _require("password", password)
        self.project = _require("project", project)
        self._cache = TokenCache(self.login_request, self._parse)

    def __repr__(self) -> str:
        return (
            f"IamPassword({self.iam_endpoint!r}, domain={self.domain!r}, user={self.user!r}, "
            f"password=<redacted>, project={self.project!r})"
        )

    @property
    def refreshes(self) -> int:
        """How many logins have succeeded."""
        return self._cache.refreshes

    @property
    def token(self) -> IamToken | None:
        """The cached token (its value never shows in a repr), or None before the first login."""
        return self._cache.token

    def secrets(self) -> tuple[str, ...]:
        token = self._cache.token
        return (self._password,) if token is None else (self._password, token.value)

    def login_request(self) -> HttpRequest:
        body = login_body(domain=self.domain, user=self.user, password=self._password, project=self.project)
        headers = {"Content-Type": "application/json;charset=utf8"}
        return HttpRequest("POST", f"{self.iam_endpoint}/v3/auth/tokens", headers, body)

    def _parse(self, response: HttpResponse, now: float) -> IamToken:
        return parse_login(response, now=now, secrets=(self._password,))

    def ensure_fresh(self, send: Send, now: float | None = None) -> None:
        self._cache.ensure(send, now)

    async def aensure_fresh(self, send: AsyncSend, now: float | None = None) -> None:
        await self._cache.aensure(send, now)

    def apply(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        project_id: str | None = None,
        now: float | None = None,
    ) -> dict[str, str]:
        token = self._cache.token
        if token is None:
            raise InvalidRequestError("IamPassword has no token yet: call ensure_fresh() before apply()")
        return {TOKEN_HEADER: token.value}

    def retry_unauthorized(self, sent: Mapping[str, str]) -> bool:
        value = sent.get(TOKEN_HEADER)
        if value is None:
            return False
        self._cache.mark_refused(value)
        return True
