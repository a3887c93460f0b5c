"""SDK-HMAC-SHA256, byte for byte as the official SDK signs (huaweicloudsdkcore, signer/signer.py).

Sans-IO and shared by both sides: `sign` adds the headers a client sends, and the mock's verifier
rebuilds the same canonical request with `canonical_request`, so there is one canonical form.

Quirks kept on purpose, because the service computes the same thing:
- the canonical URI unquotes the path, re-quotes each segment with only `~` safe, and appends `/`
  (for the signature only; the request goes to the path as it is);
- every header whose name has no `_` is signed; values are stripped;
- an empty body hashes as the empty string even when `X-Sdk-Content-Sha256` is set, and a non-JSON
  `Content-Type` makes the payload `UNSIGNED-PAYLOAD`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final, NamedTuple
from urllib.parse import quote, unquote, urlsplit

ALGORITHM: Final = "SDK-HMAC-SHA256"
DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
DATE_HEADER: Final = "X-Sdk-Date"
CONTENT_HASH_HEADER: Final = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD: Final = "UNSIGNED-PAYLOAD"
EMPTY_HASH: Final = hashlib.sha256(b"").hexdigest()

_SIGNED_BODY_TYPES: Final = ("application/json", "application/bson")


def sdk_date(now: float) -> str:
    """The `X-Sdk-Date` value for a POSIX time: UTC, `%Y%m%dT%H%M%SZ`."""
    return datetime.fromtimestamp(now, UTC).strftime(DATE_FORMAT)


def parse_sdk_date(value: str) -> float:
    """The POSIX time of an `X-Sdk-Date` value; ValueError when it is not in the SDK's format."""
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC).timestamp()


def _encode(text: str) -> str:
    return quote(text, safe="~")


@lru_cache(maxsize=1024)  # a client signs the same few paths again and again; re-encoding was half the cost
def canonical_uri(path: str) -> str:
    encoded = "/".join(_encode(segment) for segment in unquote(path or "/").split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """The decoded pairs of a query string as sent (`+` is not a space: the SDK sends `%20`)."""
    pairs = []
    for item in raw_query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Sorted on the decoded pairs, then encoded: also the query string a signed request should carry."""
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(pairs))


def payload_hash(body: bytes, content_hash: str | None) -> str:
    if not body:
        return EMPTY_HASH
    return content_hash or hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body_hash: str,
) -> str:
    """`headers` has lower-cased names; `signed_headers` are looked up in it, in the order given."""
    lines = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        (method.upper(), canonical_uri(path), canonical_query(query), lines, ";".join(signed_headers), body_hash)
    )


def signature(secret_key: str, sdk_date_value: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{sdk_date_value}\n{digest}"
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


class Authorization(NamedTuple):
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str

    def header(self) -> str:
        signed = ";".join(self.signed_headers)
        return f"{ALGORITHM} Access={self.access_key}, SignedHeaders={signed}, Signature={self.signature}"

    @classmethod
    def parse(cls, value: str) -> Authorization | None:
        """The parts of an `Authorization` header, or None when it is not SDK-HMAC-SHA256 as the SDK writes it."""
        scheme, _, rest = value.strip().partition(" ")
        if scheme != ALGORITHM:
            return None
        fields: dict[str, str] = {}
        for part in rest.split(","):
            name, sep, field_value = part.strip().partition("=")
            if not sep or name in fields:
                return None
            fields[name] = field_value
        if fields.keys() != {"Access", "SignedHeaders", "Signature"} or not all(fields.values()):
            return None
        return cls(fields["Access"], tuple(fields["SignedHeaders"].split(";")), fields["Signature"])


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    now: float,
    project_id: str | None = None,
    security_token: str | None = None,
) -> dict[str, str]:
    """The headers to add to a request so that it carries the SDK's signature.

    `headers` are those the caller sets itself and will send unchanged (the SDK signs `Content-Type` and
    `User-Agent` this way); the result holds `Host` unless given, `X-Sdk-Date`, `X-Project-Id` and
    `X-Security-Token` when set, `X-Sdk-Content-Sha256` for non-JSON bodies, and `Authorization`.
    Send the query as `canonical_query(parse_query(query))`, as the SDK does.
    """
    parts = urlsplit(url)
    added: dict[str, str] = {}
    if project_id:
        added["X-Project-Id"] = project_id
    if security_token is not None:
        added["X-Security-Token"] = security_token
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type")
    if content_type and not content_type.startswith(_SIGNED_BODY_TYPES):
        added[CONTENT_HASH_HEADER] = UNSIGNED_PAYLOAD
    added[DATE_HEADER] = sdk_date(now)
    if "host" not in lowered:
        added["Host"] = parts.netloc
    lowered.update((name.lower(), value) for name, value in added.items())
    signed = tuple(sorted(name for name in lowered if "_" not in name))
    canonical = canonical_request(
        method,
        parts.path,
        parse_query(parts.query),
        lowered,
        signed,
        payload_hash(body, lowered.get(CONTENT_HASH_HEADER.lower())),
    )
    auth = Authorization(access_key, signed, signature(secret_key, added[DATE_HEADER], canonical))
    added["Authorization"] = auth.header()
    return added
