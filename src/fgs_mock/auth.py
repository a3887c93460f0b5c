"""Who may call the mock, state only: AK/SK signature verification and an IAM token issuer.

No HTTP here. The ASGI layer passes what it received and gets back the caller's project, or an
`AuthRefusal` (a `Refusal`) whose code maps to the documented 401/403 through the error-code table.
Verification rebuilds the canonical request with the client's own code (`fgs._signing`), so both
sides share one canonical form.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fgs import _signing
from fgs_mock.clock import STEADY
from fgs_mock.refusal import Refusal

MAX_SKEW = 15 * 60
UNAUTHORIZED = "FSS.0401"
FORBIDDEN = "FSS.0403"
DEFAULT_TOKEN_LIFETIME = 24 * 3600.0

_PATH_PROJECT = re.compile(r"^/v\d+/([^/]+)/")

Headers = Mapping[str, str] | Iterable[tuple[bytes, bytes]]
"""Decoded headers, or an ASGI scope's raw `headers` list."""


class AuthRefusal(Refusal):
    """A refused credential. `reason` is for logs and tests; it never quotes a secret."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(frozen=True)
class Caller:
    project_id: str
    access_key: str | None = None  # None for a token


@dataclass(frozen=True)
class _Key:
    secret_key: str = field(repr=False)
    project_id: str
    security_token: str | None = field(default=None, repr=False)


def parse_key_option(option: str) -> tuple[str, str]:
    """`AK:SK`, as `--access-key` takes it."""
    ak, sep, sk = option.partition(":")
    if not sep or not ak or not sk:
        raise ValueError("an access key is given as AK:SK")
    return ak, sk


def parse_user_option(option: str, default_project: str) -> tuple[str, str, str, str]:
    """`DOMAIN:USER:PASSWORD[:PROJECT]`, as `--iam-user` takes it; PROJECT is the name a login scopes to."""
    fields = option.split(":")
    if len(fields) == 3:
        fields.append(default_project)
    if len(fields) != 4 or not all(fields):
        raise ValueError("an IAM user is given as DOMAIN:USER:PASSWORD[:PROJECT], none empty, no ':' inside")
    domain, user, password, project = fields
    return domain, user, password, project


def _lowered(headers: Headers) -> dict[str, str]:
    """Lower-cased names; a name sent twice is refused, since which value was signed is ambiguous."""
    items = (
        headers.items()
        if isinstance(headers, Mapping)
        else ((k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in headers)
    )
    lowered: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in lowered:
            raise AuthRefusal(UNAUTHORIZED, f"header {key} sent twice")
        lowered[key] = value
    return lowered


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class KeyRing:
    """Registered access key pairs and the verification of SDK-HMAC-SHA256 signatures."""

    required_signed = frozenset({"host", "x-sdk-date"})

    def __init__(self, max_skew: float = MAX_SKEW) -> None:
        self.max_skew = max_skew
        self._keys: dict[str, _Key] = {}

    def __repr__(self) -> str:
        return f"KeyRing({len(self._keys)} keys)"

    def add(self, access_key: str, secret_key: str, project_id: str, *, security_token: str | None = None) -> None:
        """Register a key pair; a temporary one must then come with `security_token`."""
        if not access_key or not secret_key or not project_id:
            raise ValueError("access key, secret key and project must be non-empty")
        self._keys[access_key] = _Key(secret_key, project_id, security_token)

    def verify(
        self,
        method: str,
        raw_path: bytes | str,
        raw_query: bytes | str,
        headers: Headers,
        body: bytes,
        now: float | None = None,
    ) -> Caller:
        """The caller of a signed request, or an AuthRefusal (401 for a bad signature, 403 for a project mismatch)."""
        lowered = _lowered(headers)
        auth = _signing.Authorization.parse(lowered.get("authorization", ""))
        if auth is None:
            raise AuthRefusal(UNAUTHORIZED, "no SDK-HMAC-SHA256 Authorization header")
        key = self._keys.get(auth.access_key)
        if key is None:
            raise AuthRefusal(UNAUTHORIZED, "unknown access key")
        signed = auth.signed_headers
        if not set(signed) >= self.required_signed:
            raise AuthRefusal(UNAUTHORIZED, "SignedHeaders must include host and x-sdk-date")
        if len(set(signed)) != len(signed) or any(name not in lowered for name in signed):
            raise AuthRefusal(UNAUTHORIZED, "SignedHeaders names a header twice or one that was not sent")
        unsigned = {"x-sdk-content-sha256", "x-project-id", "x-security-token"} & (lowered.keys() - set(signed))
        if unsigned:
            raise AuthRefusal(UNAUTHORIZED, f"{min(unsigned)} must be signed")
        self._check_date(lowered["x-sdk-date"], time.time() if now is None else now)
        path = _text(raw_path)
        canonical = _signing.canonical_request(
            method,
            path,
            _signing.parse_query(_text(raw_query)),
            lowered,
            signed,
            self._body_hash(lowered, body),
        )
        expected = _signing.signature(key.secret_key, lowered["x-sdk-date"].strip(), canonical)
        if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
            raise AuthRefusal(UNAUTHORIZED, "signature does not match")
        if key.security_token is not None and not hmac.compare_digest(
            key.security_token.encode(), lowered.get("x-security-token", "").encode()
        ):
            raise AuthRefusal(UNAUTHORIZED, "a temporary key needs its security token")
        self._check_project(lowered.get("x-project-id"), path, key.project_id)
        return Caller(key.project_id, auth.access_key)

    def _check_date(self, value: str, now: float) -> None:
        try:
            sent_at = _signing.parse_sdk_date(value.strip())
        except ValueError:
            raise AuthRefusal(UNAUTHORIZED, "X-Sdk-Date is not %Y%m%dT%H%M%SZ") from None
        if abs(now - sent_at) > self.max_skew:
            raise AuthRefusal(UNAUTHORIZED, "X-Sdk-Date is more than 15 minutes off")

    @staticmethod
    def _body_hash(lowered: Mapping[str, str], body: bytes) -> str:
        declared = lowered.get("x-sdk-content-sha256")
        actual = _signing.payload_hash(body, None)
        if declared is None or not body:
            return actual
        if declared == _signing.UNSIGNED_PAYLOAD:
            # the SDK leaves only non-JSON bodies unsigned; a JSON one must be covered
            if lowered.get("content-type", "").startswith(("application/json", "application/bson")):
                raise AuthRefusal(UNAUTHORIZED, "a JSON body must be signed")
            return declared
        if declared != actual:
            raise AuthRefusal(UNAUTHORIZED, "X-Sdk-Content-Sha256 does not match the body")
        return declared

    @staticmethod
    def _check_project(header: str | None, path: str, own: str) -> None:
        match = _PATH_PROJECT.match(path)
        in_path = match.group(1) if match else None
        header = None if header is None else header.strip()
        if header is not None and (header != own or (in_path is not None and header != in_path)):
            raise AuthRefusal(FORBIDDEN, "X-Project-Id disagrees with the key's project or the path")


@dataclass(frozen=True)
class _User:
    password: str = field(repr=False)
    project_id: str
    project_name: str


@dataclass(frozen=True)
class IssuedToken:
    value: str = field(repr=False)
    project_id: str
    expires_at: float

    def body(self) -> dict[str, Any]:
        """The 201 body: keystone's shape, cut to what a client reads."""
        expires = datetime.fromtimestamp(self.expires_at, UTC).isoformat(timespec="microseconds")
        return {
            "token": {
                "expires_at": expires.replace("+00:00", "Z"),
                "methods": ["password"],
                "project": {"id": self.project_id},
            }
        }


class TokenIssuer:
    """IAM's `POST /v3/auth/tokens` for registered users, and the tokens it issued (with their lifetime)."""

    def __init__(self, lifetime: float = DEFAULT_TOKEN_LIFETIME, *, clock: Callable[[], float] = STEADY) -> None:
        self.lifetime = lifetime
        self.clock = clock  # lifetimes are monotonic: a wall clock stepped forward expires nothing early
        self.issued = 0
        self._users: dict[tuple[str, str], _User] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer({len(self._users)} users, lifetime={self.lifetime})"

    def add_user(self, domain: str, user: str, password: str, project_id: str, project_name: str) -> None:
        """Register a login; `project_name` is what the login's scope names, `project_id` what it grants."""
        if not all((domain, user, password, project_id, project_name)):
            raise ValueError("domain, user, password and project must be non-empty")
        self._users[(domain, user)] = _User(password, project_id, project_name)

    def issue(self, body: bytes, now: float | None = None) -> IssuedToken:
        """A token for a password login body, or an AuthRefusal: 400 if malformed, 401 for wrong credentials."""
        domain, user, password, project = _read_login(body)
        known = self._users.get((domain, user))
        ok = known is not None and hmac.compare_digest(known.password.encode(), password.encode())
        if known is None or not ok:
            raise AuthRefusal(UNAUTHORIZED, "unknown user or wrong password")
        if project != known.project_name:
            raise AuthRefusal(UNAUTHORIZED, "the user has no such project")
        now = self.clock() if now is None else now
        token = IssuedToken(secrets.token_urlsafe(32), known.project_id, now + self.lifetime)
        with self._lock:
            self._tokens = {v: t for v, t in self._tokens.items() if t[1] > now}
            self._tokens[token.value] = (token.project_id, token.expires_at)
            self.issued += 1
        return token

    def project_for_token(self, token: str | None, now: float | None = None) -> str | None:
        """The project an issued token grants, or None when it is unknown or expired."""
        entry = None if token is None else self._tokens.get(token)
        if entry is None or entry[1] <= (self.clock() if now is None else now):
            return None
        return entry[0]


def _read_login(body: bytes) -> tuple[str, str, str, str]:
    try:
        auth = json.loads(body)["auth"]
        if auth["identity"]["methods"] != ["password"]:
            raise ValueError("only the password method")
        user = auth["identity"]["password"]["user"]
        fields = (user["domain"]["name"], user["name"], user["password"], auth["scope"]["project"]["name"])
    except (ValueError, KeyError, TypeError):
        raise AuthRefusal("FSS.0400", "not a password login scoped to a project") from None
    if not all(isinstance(f, str) for f in fields):
        raise AuthRefusal("FSS.0400", "login fields must be strings")
    return fields
