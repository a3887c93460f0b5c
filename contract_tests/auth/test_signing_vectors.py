"""Known-answer vectors: fgs signs each fixed request exactly as the official SDK's own signer does.

Each vector pins the SDK's answer too, so a change on either side shows as a failure naming which one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from contract_tests.auth.keys import AK, DATE, ENDPOINT, NOW, PROJECT, SDK_HEADERS, SECURITY_TOKEN, SK, function_path
from contract_tests.auth.sdk import sdk_sign
from fgs import _signing
from fgs.credentials import AccessKey

ALIAS_URN = f"urn:fss:eu-de:{PROJECT}:function:default:my-func:!blue"


@dataclass(frozen=True)
class Vector:
    name: str
    method: str
    path_and_query: str
    headers: dict[str, str]
    body: bytes
    project_id: str | None
    security_token: str | None
    signed_headers: str
    signature: str


VECTORS = [
    Vector(
        "POST JSON body",
        "POST",
        function_path(),
        SDK_HEADERS,
        b'{"k": "v"}',
        PROJECT,
        None,
        "content-type;host;user-agent;x-project-id;x-sdk-date",
        "2b230af39539d3b58d6a73654ce8ee523a7ed5d1a10cbc989d6b99ebc66e6539",
    ),
    Vector(
        "POST JSON body, temporary key",
        "POST",
        function_path(),
        SDK_HEADERS,
        b'{"k": "v"}',
        PROJECT,
        SECURITY_TOKEN,
        "content-type;host;user-agent;x-project-id;x-sdk-date;x-security-token",
        "f52bc525333f322b7f6f50e21bb126be453b4e322ca833cc2b35b9e002475baf",
    ),
    Vector(
        "GET with a query, colons in its values, sent unsorted",
        "GET",
        function_path("async-invocations")
        + "?status=SUCCESS&limit=10&query_begin_time=2026-01-02T03:04:05&marker=a%20b~c",
        SDK_HEADERS,
        b"",
        PROJECT,
        None,
        "content-type;host;user-agent;x-project-id;x-sdk-date",
        "f43ec703a453ae78a2ab84e93aca417af894d696c5a8409d6ee25ad1f814070f",
    ),
    Vector(
        "URN full of colons, an alias, non-ASCII body, no project header",
        "POST",
        function_path(urn=ALIAS_URN),
        {"Content-Type": "application/json;charset=UTF-8", "X-Cff-Instance-Memory": "512"},
        '{"name": "Zoë", "k": [1, 2]}'.encode(),
        None,
        None,
        "content-type;host;x-cff-instance-memory;x-sdk-date",
        "d7105c7755bf202ee7a43f06e20632fe4f7c33fc557cc5772c2d192e7cee88fd",
    ),
    Vector(
        "non-JSON body: UNSIGNED-PAYLOAD; a header with _ is left out",
        "PUT",
        function_path("async-invoke-config"),
        {"Content-Type": "text/plain", "X_Custom": "not signed"},
        b"plain text",
        PROJECT,
        None,
        "content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date",
        "0fbe52e21381b1e17dad6f924d72b505900d4a7d53e753de54bb86a917d448ed",
    ),
]


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_fgs_and_the_sdk_send_the_same_headers(vector: Vector) -> None:
    url = ENDPOINT + vector.path_and_query
    added = AccessKey(AK, SK, vector.security_token).apply(
        vector.method, url, vector.headers, vector.body, project_id=vector.project_id, now=NOW
    )
    sdk_headers, sdk_uri = sdk_sign(
        vector.method,
        url,
        vector.headers,
        vector.body,
        ak=AK,
        sk=SK,
        date=DATE,
        project_id=vector.project_id,
        security_token=vector.security_token,
    )
    assert {**vector.headers, **added} == sdk_headers
    expected = f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={vector.signed_headers}, Signature={vector.signature}"
    assert sdk_headers["Authorization"] == expected, "the SDK's answer moved"
    assert added["Authorization"] == expected
    # the SDK sends the query sorted and encoded; fgs's canonical query is that string
    path, _, query = vector.path_and_query.partition("?")
    canonical = _signing.canonical_query(_signing.parse_query(query))
    assert sdk_uri == (f"{path}?{canonical}" if canonical else path)


def test_the_canonical_uri_encodes_each_segment_and_appends_a_slash_for_the_signature_only() -> None:
    path = function_path()
    assert _signing.canonical_uri(path) == path + "/"
    assert "%3A" in path
    assert _signing.canonical_uri("/v2/a b/x~y:z") == "/v2/a%20b/x~y%3Az/"
    assert _signing.canonical_uri("") == "/"


def test_the_query_is_sorted_on_decoded_pairs_then_encoded() -> None:
    # raw "0" sorts before ":" but after "%": the SDK sorts before encoding, and so must we
    assert _signing.canonical_query([("k", ":"), ("k", "0")]) == "k=0&k=%3A"
    assert _signing.parse_query("a=1+2&b=%2B&c") == [("a", "1+2"), ("b", "+"), ("c", "")]


def test_the_date_header_is_utc_in_the_sdk_format() -> None:
    assert _signing.sdk_date(NOW) == DATE
    with pytest.raises(ValueError, match="does not match"):
        _signing.parse_sdk_date("2026-01-02T03:04:05Z")


def test_a_host_given_by_the_caller_is_signed_as_given() -> None:
    headers = {**SDK_HEADERS, "Host": "fgs.eu-de.otc.t-systems.com"}
    added = AccessKey(AK, SK).apply("POST", ENDPOINT + function_path(), headers, b"{}", now=NOW)
    assert "Host" not in added
    sdk_headers, _ = sdk_sign("POST", ENDPOINT + function_path(), headers, b"{}", ak=AK, sk=SK, date=DATE)
    assert {**headers, **added} == sdk_headers
