"""The served mock verifies AK/SK signatures over HTTP: each rule, the dialect's 401 or 403, tokens beside."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from contract_tests.auth.keys import AK, OTHER_PROJECT, PROJECT, SK, URN, function_path
from fgs_conformance.signing import signed_headers
from fgs_mock import LENIENT, Backend, Dialect, create_app, serve_in_thread

BODY = b'{"k": "v"}'
OTHER_URN = f"urn:fss:eu-de:{PROJECT}:function:default:other:latest"
TOKEN = "mock-auth-test-token"


@pytest.fixture(scope="module", params=[Dialect(), LENIENT], ids=["default", "lenient"])
def mock(request: pytest.FixtureRequest) -> Iterator[tuple[str, Backend, Dialect]]:
    backend = Backend.with_defaults(token=TOKEN, project_id=PROJECT, function_urn=URN)
    backend.register_function(OTHER_URN)  # so that a request moved to it would be valid but for its signature
    backend.add_access_key(AK, SK, PROJECT)
    with serve_in_thread(create_app(backend, request.param)) as base_url:
        yield base_url, backend, request.param


@dataclass
class Call:
    """A request signed as `sign_*` say and then sent as `send_*` say; by default, both the same."""

    sign_path: str = field(default_factory=function_path)
    sign_query: str = ""
    sign_body: bytes = BODY
    sign_headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    secret_key: str = SK
    access_key: str = AK
    project_id: str = PROJECT
    skew: float = 0.0
    leave_out: tuple[str, ...] = ()
    send_path: str | None = None
    send_query: str | None = None
    send_body: bytes | None = None
    send_headers: dict[str, str] = field(default_factory=dict)

    def send(self, base_url: str) -> httpx.Response:
        def url(path: str, query: str) -> str:
            return f"{base_url}{path}" + (f"?{query}" if query else "")

        headers = dict(self.sign_headers)
        headers |= signed_headers(
            "POST",
            url(self.sign_path, self.sign_query),
            headers,
            self.sign_body,
            access_key=self.access_key,
            secret_key=self.secret_key,
            project_id=self.project_id,
            now=time.time() + self.skew,
            leave_out=self.leave_out,
        )
        headers |= self.send_headers
        sent_url = url(
            self.send_path or self.sign_path, self.sign_query if self.send_query is None else self.send_query
        )
        body = self.sign_body if self.send_body is None else self.send_body
        return httpx.post(sent_url, content=body, headers=headers)


def test_a_signed_call_is_accepted_and_recorded(mock: tuple[str, Backend, Dialect]) -> None:
    base_url, backend, _ = mock
    response = Call(sign_query="b=2&a=1").send(base_url)
    assert response.status_code == 202, response.text
    stored = backend.invocations.get(response.json()["request_id"])
    assert stored is not None
    assert (stored.project_id, stored.body) == (PROJECT, BODY)


def test_a_date_within_15_minutes_is_accepted(mock: tuple[str, Backend, Dialect]) -> None:
    assert Call(skew=-14 * 60).send(mock[0]).status_code == 202


REFUSED = {
    "wrong secret key": Call(secret_key="x" + SK[1:]),
    "unknown access key": Call(access_key="HPUAUNKNOWNKEY000001"),
    "tampered body": Call(send_body=b'{"k": "w"}'),
    "tampered path": Call(send_path=function_path(urn=OTHER_URN)),
    "tampered query": Call(sign_query="a=1", send_query="a=2"),
    "tampered signed header": Call(send_headers={"Content-Type": "application/json; charset=utf-8"}),
    "host not signed": Call(leave_out=("host",)),
    "x-sdk-date not signed": Call(leave_out=("x-sdk-date",)),
    "date 16 minutes old": Call(skew=-16 * 60),
    "date 16 minutes ahead": Call(skew=16 * 60),
    "not SDK-HMAC-SHA256": Call(send_headers={"Authorization": "Bearer " + SK}),
}


@pytest.mark.parametrize("call", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_signature_is_refused_as_a_bad_token_is(mock: tuple[str, Backend, Dialect], call: Call) -> None:
    base_url, backend, dialect = mock
    before = len(backend.invocations)
    response = call.send(base_url)
    code = "FSS.0401" if dialect.bad_token_status == 401 else "FSS.0403"
    assert (response.status_code, response.json()["error_code"]) == (dialect.bad_token_status, code)
    assert set(response.json()) >= {"error_code", "error_msg"}
    assert len(backend.invocations) == before


def test_a_signed_project_that_disagrees_with_the_path_is_403(mock: tuple[str, Backend, Dialect]) -> None:
    response = Call(project_id=OTHER_PROJECT).send(mock[0])
    assert (response.status_code, response.json()["error_code"]) == (403, "FSS.0403")


def test_a_valid_signature_for_another_project_path_is_403(mock: tuple[str, Backend, Dialect]) -> None:
    other = function_path(project=OTHER_PROJECT, urn=URN.replace(PROJECT, OTHER_PROJECT))
    response = Call(sign_path=other, project_id="").send(mock[0])  # no X-Project-Id: the path alone disagrees
    assert (response.status_code, response.json()["error_code"]) == (403, "FSS.0403")


def test_a_token_decides_alone_when_both_are_sent(mock: tuple[str, Backend, Dialect]) -> None:
    base_url, _, dialect = mock
    assert Call(secret_key="wrong", send_headers={"X-Auth-Token": TOKEN}).send(base_url).status_code == 202
    assert Call(send_headers={"X-Auth-Token": "not-" + TOKEN}).send(base_url).status_code == dialect.bad_token_status
