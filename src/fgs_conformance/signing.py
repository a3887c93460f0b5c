"""The run's credential on a request: the token, or an SDK-HMAC-SHA256 signature with the access key.

Signing is `fgs._signing`, byte for byte the official SDK's. `signed_headers` can also leave headers
out of the signature, as a careless client would: the signatures check sends such requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from fgs import _signing
from fgs_conformance.settings import Settings


def signed_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    project_id: str | None,
    now: float | None = None,
    leave_out: Iterable[str] = (),
) -> dict[str, str]:
    """The headers to add to a request to `url` (absolute, query as sent) so that it carries a signature."""
    added = _signing.sign(
        method,
        url,
        headers,
        body,
        access_key=access_key,
        secret_key=secret_key,
        now=time.time() if now is None else now,
        project_id=project_id,
    )
    omitted = {name.lower() for name in leave_out}
    if not omitted:
        return added
    auth = _signing.Authorization.parse(added.pop("Authorization"))
    assert auth is not None  # sign() wrote it
    lowered = {name.lower(): value for name, value in {**headers, **added}.items()}
    signed = tuple(name for name in auth.signed_headers if name not in omitted)
    parts = urlsplit(url)
    canonical = _signing.canonical_request(
        method,
        parts.path,
        _signing.parse_query(parts.query),
        lowered,
        signed,
        _signing.payload_hash(body, lowered.get(_signing.CONTENT_HASH_HEADER.lower())),
    )
    digest = _signing.signature(secret_key, added[_signing.DATE_HEADER], canonical)
    added["Authorization"] = _signing.Authorization(access_key, signed, digest).header()
    return added


def credential_headers(
    settings: Settings, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, str]:
    """What carries the run's own credential on this request: `X-Auth-Token`, or the signature headers."""
    if settings.token is not None:
        return {"X-Auth-Token": settings.token}
    # Settings.resolve ensures a token or a whole key pair.
    assert settings.access_key is not None
    assert settings.secret_key is not None
    return signed_headers(
        method,
        url,
        headers,
        body,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        project_id=settings.project_id,
    )
