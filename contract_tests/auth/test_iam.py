"""IamPassword: the login request, the reading of IAM's answer, the refresh schedule, single-flight refresh."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from contract_tests.auth.iam import DOMAIN, IAM, PROJECT_NAME, USER, FakeIam, login
from contract_tests.auth.keys import PASSWORD, PROJECT
from contract_tests.support.vendor_docs import parse_page
from fgs import _iam
from fgs.credentials import HttpResponse
from fgs.errors import AuthenticationError, FgsError, InvalidRequestError, ProtocolError, ServerError

CALLERS = 100


def test_the_login_body_is_the_documented_one(vendor_docs: Path) -> None:
    block = parse_page(vendor_docs / "making_an_api_request.rst").code_blocks["Request Body"][0]
    documented = json.loads(block[block.index("{") :])
    password = documented["auth"]["identity"]["password"]["user"]
    password.update(name=USER, password=PASSWORD, domain={"name": DOMAIN})
    documented["auth"]["scope"]["project"]["name"] = PROJECT_NAME
    request = login().login_request()
    assert (request.method, request.url) == ("POST", f"{IAM}/v3/auth/tokens")
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.body) == documented


def test_a_201_gives_the_token_its_expiry_and_project() -> None:
    iam = FakeIam(lifetime=3600)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    token = credentials.token
    assert token is not None
    assert iam.project_for(token.value) == PROJECT
    assert token.project_id == PROJECT
    assert token.expires_at == pytest.approx(iam.now + 3600, abs=1e-3)
    assert token.refresh_at == pytest.approx(token.expires_at - 120, abs=1e-3)
    assert credentials.apply("POST", "http://x/", {}, b"") == {"X-Auth-Token": token.value}


def _answer(status: int = 201, body: object = None, token: str | None = "t") -> HttpResponse:
    payload = json.dumps({"token": {"expires_at": "2030-01-01T00:00:00.000000Z"}} if body is None else body)
    return HttpResponse(status, {} if token is None else {"x-subject-token": token}, payload.encode())


@pytest.mark.parametrize(
    "response",
    [
        _answer(token=None),
        _answer(token="  "),
        _answer(body={"token": {}}),
        _answer(body={"token": {"expires_at": 17}}),
        _answer(body={"token": {"expires_at": "tomorrow"}}),
        _answer(body={"token": {"expires_at": "2001-01-01T00:00:00Z"}}),
        _answer(body=[1]),
        _answer(body="not an object"),
        HttpResponse(201, {"x-subject-token": "t"}, b"<html>"),
        _answer(status=200),
        _answer(status=302),
    ],
    ids=[
        "no X-Subject-Token",
        "blank X-Subject-Token",
        "no expires_at",
        "expires_at a number",
        "expires_at not a date",
        "already expired",
        "body a list",
        "body a string",
        "body not JSON",
        "200 instead of 201",
        "a redirect",
    ],
)
def test_a_malformed_answer_is_a_protocol_error(response: HttpResponse) -> None:
    with pytest.raises(ProtocolError):
        _iam.parse_login(response, now=1_600_000_000.0)  # in 2020


def test_refusals_carry_status_and_iam_error_fields() -> None:
    keystone = {"error": {"code": 401, "message": "The request you have made requires authentication."}}
    with pytest.raises(AuthenticationError) as caught:
        _iam.parse_login(_answer(401, keystone, token=None), now=0)
    assert (caught.value.status, caught.value.error_code) == (401, "401")
    assert caught.value.error_msg == keystone["error"]["message"]
    with pytest.raises(ServerError) as server:
        _iam.parse_login(_answer(503, {"error_code": "IAM.0001", "error_msg": "busy"}, token=None), now=0)
    assert (server.value.status, server.value.error_code, server.value.error_msg) == (503, "IAM.0001", "busy")


def test_a_wrong_password_is_an_authentication_error() -> None:
    with pytest.raises(AuthenticationError):
        login("wrong").ensure_fresh(FakeIam().send)


def test_apply_before_any_login_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="ensure_fresh"):
        login().apply("POST", "http://x/", {}, b"")


def test_the_token_is_replaced_ahead_of_expiry_and_not_before() -> None:
    iam = FakeIam(lifetime=3600)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    first = credentials.token
    assert first is not None
    credentials.ensure_fresh(iam.send, first.refresh_at - 1)
    assert iam.logins == 1
    iam.now = first.refresh_at
    credentials.ensure_fresh(iam.send, iam.now)
    assert iam.logins == 2
    assert credentials.token is not None
    assert credentials.token.value != first.value


def test_a_short_lived_token_is_refreshed_half_way() -> None:
    iam = FakeIam(lifetime=10)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    assert credentials.token is not None
    assert credentials.token.refresh_at == pytest.approx(iam.now + 5, abs=1e-3)


def test_a_401_forces_one_new_login_for_the_token_it_refused() -> None:
    iam = FakeIam()
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    sent = credentials.apply("POST", "http://x/", {}, b"")
    assert credentials.retry_unauthorized(sent)
    credentials.ensure_fresh(iam.send, iam.now)
    assert iam.logins == 2
    # a late 401 for the token already replaced does not log in again
    assert credentials.retry_unauthorized(sent)
    credentials.ensure_fresh(iam.send, iam.now)
    assert iam.logins == 2


def test_threads_across_an_expiry_share_one_refresh() -> None:
    iam = FakeIam(lifetime=2, delay=0.02)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    iam.now += 5  # the token has expired
    start = threading.Barrier(CALLERS)
    results: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            credentials.ensure_fresh(iam.send, iam.now)
            results.append(credentials.apply("POST", "http://x/", {}, b"")["X-Auth-Token"])
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert iam.logins == 2  # the first login, and exactly one refresh
    assert credentials.refreshes == 2
    assert len(results) == CALLERS
    assert len(set(results)) == 1
    assert iam.project_for(results[0]) == PROJECT


def test_tasks_across_an_expiry_share_one_refresh() -> None:
    iam = FakeIam(lifetime=2, delay=0.02)
    credentials = login()

    async def call() -> str:
        await credentials.aensure_fresh(iam.asend, iam.now)
        return credentials.apply("POST", "http://x/", {}, b"")["X-Auth-Token"]

    async def main() -> list[str]:
        await credentials.aensure_fresh(iam.asend, iam.now)
        iam.now += 5
        return await asyncio.gather(*(call() for _ in range(CALLERS)))

    results = asyncio.run(main())
    assert iam.logins == 2
    assert len(set(results)) == 1
    assert iam.project_for(results[0]) == PROJECT


def test_tasks_refused_with_401_share_one_refresh() -> None:
    iam = FakeIam(delay=0.01)
    credentials = login()

    async def call(stale: dict[str, str]) -> str:
        assert credentials.retry_unauthorized(stale)
        await credentials.aensure_fresh(iam.asend, iam.now)
        return credentials.apply("POST", "http://x/", {}, b"")["X-Auth-Token"]

    async def main() -> list[str]:
        await credentials.aensure_fresh(iam.asend, iam.now)
        stale = credentials.apply("POST", "http://x/", {}, b"")
        return await asyncio.gather(*(call(stale) for _ in range(CALLERS)))

    results = asyncio.run(main())
    assert iam.logins == 2
    assert len(set(results)) == 1


def test_a_failed_async_login_fails_its_waiters_and_the_next_call_tries_again() -> None:
    iam = FakeIam(delay=0.01)
    credentials = login()
    broken = True

    async def flaky(request: object) -> HttpResponse:
        if broken:
            await asyncio.sleep(0.01)
            return HttpResponse(503, {}, b"")
        return await iam.asend(request)  # type: ignore[arg-type]

    async def main() -> list[BaseException | None]:
        nonlocal broken
        outcomes = await asyncio.gather(*(credentials.aensure_fresh(flaky) for _ in range(10)), return_exceptions=True)
        broken = False
        await credentials.aensure_fresh(flaky, iam.now)
        return outcomes

    outcomes = asyncio.run(main())
    assert all(isinstance(o, ServerError) for o in outcomes)
    assert isinstance(outcomes[0], FgsError)
    assert iam.logins == 1
    assert credentials.token is not None


def test_a_caller_that_gives_up_does_not_cancel_the_shared_login() -> None:
    iam = FakeIam(delay=0.05)
    credentials = login()

    async def main() -> None:
        impatient = asyncio.ensure_future(credentials.aensure_fresh(iam.asend, iam.now))
        patient = asyncio.ensure_future(credentials.aensure_fresh(iam.asend, iam.now))
        await asyncio.sleep(0.01)
        impatient.cancel()
        await patient

    asyncio.run(main())
    assert iam.logins == 1
    assert credentials.token is not None
