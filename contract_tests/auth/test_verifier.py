"""The mock's verifier accepts what fgs and the official SDK sign, and refuses every tampering."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import pytest

from contract_tests.auth.keys import (
    AK,
    DATE,
    ENDPOINT,
    NOW,
    OTHER_PROJECT,
    PROJECT,
    SDK_HEADERS,
    SECURITY_TOKEN,
    SK,
    function_path,
)
from contract_tests.auth.sdk import sdk_sign
from fgs import _signing
from fgs.credentials import AccessKey
from fgs_mock import auth
from fgs_mock.auth import AuthRefusal, Caller, KeyRing
from fgs_mock.models import Refusal


@dataclass(frozen=True)
class Wire:
    """A request as the server sees it."""

    method: str
    raw_path: bytes
    raw_query: bytes
    headers: dict[str, str]
    body: bytes

    def with_header(self, name: str, value: str | None) -> Wire:
        headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)


def wire(
    url: str = ENDPOINT + function_path(),
    body: bytes = b'{"k": "v"}',
    method: str = "POST",
    *,
    credentials: AccessKey | None = None,
    project_id: str | None = PROJECT,
    now: float = NOW,
) -> Wire:
    credentials = credentials or AccessKey(AK, SK)
    added = credentials.apply(method, url, SDK_HEADERS, body, project_id=project_id, now=now)
    parts = urlsplit(url)
    return Wire(method, parts.path.encode(), parts.query.encode(), {**SDK_HEADERS, **added}, body)


def verify(ring: KeyRing, request: Wire, now: float = NOW) -> Caller:
    return ring.verify(request.method, request.raw_path, request.raw_query, request.headers, request.body, now)


@pytest.fixture
def ring() -> KeyRing:
    keys = KeyRing()
    keys.add(AK, SK, PROJECT)
    return keys


def test_accepts_what_fgs_signs(ring: KeyRing) -> None:
    assert verify(ring, wire()) == Caller(PROJECT, AK)
    get = wire(ENDPOINT + function_path("async-invocations") + "?status=SUCCESS&limit=10", b"", "GET")
    assert verify(ring, get).project_id == PROJECT


def test_accepts_what_the_sdk_signs(ring: KeyRing) -> None:
    url = ENDPOINT + function_path("async-invocations") + "?query_begin_time=2026-01-02T03:04:05&limit=5"
    headers, uri = sdk_sign("GET", url, SDK_HEADERS, b"", ak=AK, sk=SK, date=DATE, project_id=PROJECT)
    path, _, query = uri.partition("?")
    assert ring.verify("GET", path.encode(), query.encode(), headers, b"", NOW) == Caller(PROJECT, AK)


def test_accepts_an_asgi_header_list(ring: KeyRing) -> None:
    request = wire()
    raw = [(k.lower().encode("latin-1"), v.encode()) for k, v in request.headers.items()]
    assert ring.verify("POST", request.raw_path, request.raw_query, raw, request.body, NOW).access_key == AK


def test_a_temporary_key_needs_its_security_token() -> None:
    ring = KeyRing()
    ring.add(AK, SK, PROJECT, security_token=SECURITY_TOKEN)
    assert verify(ring, wire(credentials=AccessKey(AK, SK, SECURITY_TOKEN))).access_key == AK
    refused = [wire(credentials=AccessKey(AK, SK)), wire(credentials=AccessKey(AK, SK, "another-token"))]
    for request in refused:
        with pytest.raises(AuthRefusal, match="security token") as caught:
            verify(ring, request)
        assert caught.value.code == "FSS.0401"


def test_the_skew_limit_is_fifteen_minutes_either_way(ring: KeyRing) -> None:
    request = wire()
    for skew in (-900, 900):
        verify(ring, request, NOW + skew)
    for skew in (-901, 901):
        with pytest.raises(AuthRefusal, match="15 minutes"):
            verify(ring, request, NOW + skew)


def _signed_over(request: Wire, signed: tuple[str, ...]) -> Wire:
    # a correct signature with the right secret, but over a chosen list of headers
    lowered = {k.lower(): v for k, v in request.headers.items()}
    canonical = _signing.canonical_request(
        "POST", request.raw_path.decode(), [], lowered, signed, _signing.payload_hash(request.body, None)
    )
    header = _signing.Authorization(AK, signed, _signing.signature(SK, DATE, canonical)).header()
    return request.with_header("Authorization", header)


def _with_date(request: Wire) -> Wire:
    return replace(request, headers={**request.headers, "X-Sdk-Date": _signing.sdk_date(NOW - 60)})


_SIGNATURE = "signature does not match"
TAMPERINGS: dict[str, tuple[Callable[[Wire], Wire], str]] = {
    "body": (lambda r: replace(r, body=b'{"k": "w"}'), _SIGNATURE),
    "body emptied": (lambda r: replace(r, body=b""), _SIGNATURE),
    "path": (
        lambda r: replace(r, raw_path=function_path(urn="urn:fss:eu-de:p:function:default:x").encode()),
        _SIGNATURE,
    ),
    "query added": (lambda r: replace(r, raw_query=b"limit=1"), _SIGNATURE),
    "signed header changed": (lambda r: r.with_header("User-Agent", "curl/8"), _SIGNATURE),
    "signed header dropped": (lambda r: r.with_header("User-Agent", None), "not sent"),
    "signed more than 15 minutes ago": (lambda r: wire(now=NOW - 901), "15 minutes"),
    "date changed after signing": (_with_date, _SIGNATURE),
    "malformed date": (lambda r: r.with_header("X-Sdk-Date", "2026-01-02T03:04:05Z"), "X-Sdk-Date is not"),
    "wrong secret": (lambda r: wire(credentials=AccessKey(AK, "not-the-secret")), _SIGNATURE),
    "unknown access key": (lambda r: wire(credentials=AccessKey("UNKNOWNAK", SK)), "unknown access key"),
    "host left out of SignedHeaders": (
        lambda r: _signed_over(r, ("content-type", "user-agent", "x-project-id", "x-sdk-date")),
        "must include host",
    ),
    "x-sdk-date left out of SignedHeaders": (
        lambda r: _signed_over(r, ("content-type", "host", "user-agent", "x-project-id")),
        "must include host and x-sdk-date",
    ),
    "no Authorization": (lambda r: r.with_header("Authorization", None), "no SDK-HMAC-SHA256"),
    "another algorithm": (
        lambda r: r.with_header("Authorization", r.headers["Authorization"].replace("SHA256", "SM3")),
        "no SDK-HMAC-SHA256",
    ),
    "Authorization without a signature": (
        lambda r: r.with_header("Authorization", r.headers["Authorization"].split(", Signature=")[0]),
        "no SDK-HMAC-SHA256",
    ),
    "an unsigned X-Project-Id": (
        lambda r: wire(project_id=None).with_header("X-Project-Id", PROJECT),
        "x-project-id must be signed",
    ),
    "an unsigned content hash": (
        lambda r: r.with_header("X-Sdk-Content-Sha256", _signing.UNSIGNED_PAYLOAD),
        "x-sdk-content-sha256 must be signed",
    ),
}


@pytest.mark.parametrize(("tamper", "reason"), TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_refuses_each_tampering_with_401(ring: KeyRing, tamper: Callable[[Wire], Wire], reason: str) -> None:
    request = wire()
    verify(ring, request)
    with pytest.raises(AuthRefusal, match=reason) as caught:
        verify(ring, tamper(request))
    assert isinstance(caught.value, Refusal)  # so the HTTP layer maps it like any other refusal
    assert caught.value.code == "FSS.0401"


def test_a_header_sent_twice_is_refused(ring: KeyRing) -> None:
    request = wire()
    raw = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()] + [(b"user-agent", b"y")]
    with pytest.raises(AuthRefusal, match="sent twice"):
        ring.verify("POST", request.raw_path, request.raw_query, raw, request.body, NOW)


def test_a_json_body_must_not_travel_unsigned(ring: KeyRing) -> None:
    url = ENDPOINT + function_path()
    headers = {**SDK_HEADERS, "X-Sdk-Content-Sha256": _signing.UNSIGNED_PAYLOAD}
    added = AccessKey(AK, SK).apply("POST", url, headers, b"{}", project_id=PROJECT, now=NOW)
    request = Wire("POST", function_path().encode(), b"", {**headers, **added}, b"{}")
    with pytest.raises(AuthRefusal, match="JSON body must be signed"):
        verify(ring, request)


def test_a_signed_content_hash_must_match_the_body(ring: KeyRing) -> None:
    url = ENDPOINT + function_path()
    headers = {**SDK_HEADERS, "X-Sdk-Content-Sha256": "0" * 64}
    added = AccessKey(AK, SK).apply("POST", url, headers, b"{}", project_id=PROJECT, now=NOW)
    request = Wire("POST", function_path().encode(), b"", {**headers, **added}, b"{}")
    with pytest.raises(AuthRefusal, match="does not match the body"):
        verify(ring, request)


def test_a_non_json_body_may_travel_unsigned_as_the_sdk_sends_it(ring: KeyRing) -> None:
    url = ENDPOINT + function_path()
    headers = {"Content-Type": "text/plain"}
    added = AccessKey(AK, SK).apply("POST", url, headers, b"abc", project_id=PROJECT, now=NOW)
    assert added["X-Sdk-Content-Sha256"] == _signing.UNSIGNED_PAYLOAD
    request = Wire("POST", function_path().encode(), b"", {**headers, **added}, b"abc")
    assert verify(ring, request).project_id == PROJECT


@pytest.mark.parametrize(
    ("signed_project", "path_project"),
    [(OTHER_PROJECT, PROJECT), (PROJECT, OTHER_PROJECT), (OTHER_PROJECT, OTHER_PROJECT)],
    ids=["header names another project", "path names another project", "both name another project"],
)
def test_a_validly_signed_project_mismatch_is_403(ring: KeyRing, signed_project: str, path_project: str) -> None:
    request = wire(ENDPOINT + function_path(project=path_project), project_id=signed_project)
    with pytest.raises(AuthRefusal) as caught:
        verify(ring, request)
    assert caught.value.code == "FSS.0403"


def test_without_x_project_id_the_caller_is_the_keys_project(ring: KeyRing) -> None:
    # the path's project is then the HTTP layer's to compare, as it does for tokens
    request = wire(ENDPOINT + function_path(project=OTHER_PROJECT), project_id=None)
    assert verify(ring, request) == Caller(PROJECT, AK)


def test_the_signature_is_compared_in_constant_time(ring: KeyRing, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    request = wire()
    verify(ring, request)
    sent = _signing.Authorization.parse(request.headers["Authorization"])
    assert sent is not None
    assert (sent.signature.encode(), sent.signature.encode()) in compared


def test_key_option_parsing() -> None:
    assert auth.parse_key_option("AK:S:K") == ("AK", "S:K")
    for bad in ("AK", ":SK", "AK:"):
        with pytest.raises(ValueError, match="AK:SK"):
            auth.parse_key_option(bad)
