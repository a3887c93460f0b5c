"""Both clients authenticate every request over the wire: AK/SK signatures the mock's KeyRing verifies,
tokens, and IAM password logins with a single-flight refresh; secrets never show."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

import fgs
from contract_tests.auth.gate import TEMPORARY_AK, Gate, serving
from contract_tests.auth.iam import DOMAIN, PROJECT_NAME, USER
from contract_tests.auth.keys import AK, PASSWORD, PROJECT, SECURITY_TOKEN, SK, URN

KINDS = ["sync", "async"]
FAST = fgs.RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


@pytest.fixture
def gate() -> Iterator[Gate]:
    with serving(Gate()) as served:
        yield served


def _client(kind: str, url: str, **options: Any) -> Any:
    options.setdefault("retry", FAST)
    cls = fgs.Client if kind == "sync" else fgs.AsyncClient
    return cls(url, PROJECT, **options)


def _run(kind: str, client: Any, call: Any) -> Any:
    """`call(client)` on either client; what it returned or the FgsError it raised. Closes the client."""

    async def run_async() -> Any:
        async with client:
            return await call(client)

    try:
        if kind == "sync":
            with client:
                return call(client)
        return asyncio.run(run_async())
    except fgs.FgsError as error:
        return error


def _invoke(kind: str, url: str, **options: Any) -> Any:
    return _run(kind, _client(kind, url, **options), lambda client: client.invoke_async(URN, {"k": "v"}))


def _iam() -> dict[str, str]:
    return {"domain": DOMAIN, "user": USER, "password": PASSWORD, "project": PROJECT_NAME}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "credentials",
    [fgs.AccessKey(AK, SK), fgs.AccessKey(TEMPORARY_AK, SK, SECURITY_TOKEN)],
    ids=["permanent", "temporary"],
)
def test_a_signed_invocation_is_verified_by_the_keyring(kind: str, gate: Gate, credentials: fgs.AccessKey) -> None:
    assert isinstance(_invoke(kind, gate.url, credentials=credentials), str)
    assert [seen.outcome for seen in gate.seen] == ["accepted"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_secret_is_refused_and_not_resent(kind: str, gate: Gate) -> None:
    outcome = _invoke(kind, gate.url, credentials=fgs.AccessKey(AK, "not-" + SK))
    assert isinstance(outcome, fgs.AuthenticationError)
    assert (outcome.attempts, [seen.outcome for seen in gate.seen]) == (1, ["signature does not match"])


@pytest.mark.parametrize("kind", KINDS)
def test_any_method_path_and_query_is_signed_as_sent(kind: str, gate: Gate) -> None:
    """The path every operation takes (the lifecycle ones too): the query the signer reads is the one sent."""
    from fgs_client.api.invocation import cancel_async_invocation, list_async_invocations
    from fgs_client.models import CancelRequest

    listing = list_async_invocations._get_kwargs(PROJECT, URN, request_id="a b/c:d~e&f=g", query_end_time="ü")
    cancel = cancel_async_invocation._get_kwargs(PROJECT, URN, body=CancelRequest.from_dict({"request_id": "r"}))

    async def both_async(client: Any) -> list[Any]:
        return [await client._send(client._core.from_generated(kwargs)) for kwargs in (listing, cancel)]

    def both(client: Any) -> Any:
        if kind == "async":
            return both_async(client)
        return [client._send(client._core.from_generated(kwargs)) for kwargs in (listing, cancel)]

    _run(kind, _client(kind, gate.url, credentials=fgs.AccessKey(AK, SK)), both)
    assert [(seen.method, seen.outcome) for seen in gate.seen] == [("GET", "accepted"), ("POST", "accepted")]
    assert gate.seen[0].query == "limit=100&marker=0&query_end_time=%C3%BC&request_id=a%20b%2Fc%3Ad~e%26f%3Dg"
    assert gate.seen[1].path.endswith("/cancel")


@pytest.mark.parametrize("kind", KINDS)
def test_token_credentials_and_the_token_shorthand_are_the_same(kind: str, gate: Gate) -> None:
    gate.tokens.add("TOKEN-fixed-1")
    assert isinstance(_invoke(kind, gate.url, credentials=fgs.Token("TOKEN-fixed-1")), str)
    assert isinstance(_invoke(kind, gate.url, token="TOKEN-fixed-1"), str)
    refused = _invoke(kind, gate.url, token="TOKEN-other")
    assert isinstance(refused, fgs.AuthenticationError)
    assert refused.attempts == 1  # a fixed token cannot get better: no resend


def test_set_token_works_for_token_credentials_only() -> None:
    client = fgs.Client("http://h", PROJECT, "TOKEN-a")
    client.set_token("TOKEN-b")
    assert repr(client).endswith("credentials=Token(<redacted>))")
    signed = fgs.Client("http://h", PROJECT, credentials=fgs.AccessKey(AK, SK))
    with pytest.raises(fgs.InvalidRequestError, match=r"^set_token\(\): works only for a client with token"):
        signed.set_token("TOKEN-b")
    with pytest.raises(fgs.InvalidRequestError, match=r"^Client\(\): credentials must be an fgs.Token"):
        fgs.Client("http://h", PROJECT, credentials="TOKEN-a")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_an_iam_login_goes_through_the_client_and_is_cached(kind: str, gate: Gate) -> None:
    credentials = fgs.IamPassword(gate.iam, **_iam())

    async def twice_async(client: Any) -> list[str]:
        return [await client.invoke_async(URN, {}), await client.invoke_async(URN, {})]

    def twice(client: Any) -> Any:
        return [client.invoke_async(URN, {}), client.invoke_async(URN, {})] if kind == "sync" else twice_async(client)

    outcome = _run(kind, _client(kind, gate.url, credentials=credentials), twice)
    assert len(outcome) == 2
    assert (gate.logins, credentials.refreshes) == (1, 1)


@pytest.mark.parametrize("kind", KINDS)
def test_a_token_the_server_stops_taking_is_replaced_once_and_the_call_resent(kind: str, gate: Gate) -> None:
    credentials = fgs.IamPassword(gate.iam, **_iam())
    assert isinstance(_invoke(kind, gate.url, credentials=credentials), str)
    gate.issuer.lifetime, gate.issuer._tokens = 3600.0, {}  # every token revoked on the server's side
    assert isinstance(_invoke(kind, gate.url, credentials=credentials), str)
    assert [seen.outcome for seen in gate.seen] == ["accepted", "unknown or expired token", "accepted"]
    assert gate.logins == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_login_is_an_authentication_error_that_hides_the_password(kind: str, gate: Gate) -> None:
    gate.echo = b"x" + PASSWORD.encode()
    wrong = fgs.IamPassword(gate.iam, DOMAIN, USER, "x" + PASSWORD, PROJECT_NAME)
    outcome = _invoke(kind, gate.url, credentials=wrong)
    assert isinstance(outcome, fgs.AuthenticationError)
    assert outcome.status == 401
    assert gate.seen == []  # nothing went to FunctionGraph without a token
    shown = str(outcome) + repr(outcome) + (outcome.body or b"").decode() + repr(wrong)
    assert PASSWORD not in shown


@pytest.mark.parametrize("kind", KINDS)
def test_an_unreachable_iam_endpoint_is_a_transport_error_naming_iam(kind: str, gate: Gate) -> None:
    credentials = fgs.IamPassword("http://127.0.0.1:9/iam", **_iam())
    outcome = _invoke(kind, gate.url, credentials=credentials, retry=None)
    assert isinstance(outcome, fgs.TransportError)
    assert str(outcome).startswith("could not connect to the IAM endpoint")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("credentials", "secrets"),
    [
        (fgs.AccessKey(AK, SK), [SK]),
        (fgs.AccessKey(TEMPORARY_AK, SK, SECURITY_TOKEN), [SK, SECURITY_TOKEN]),
        (fgs.Token("canary-token-77e1"), ["canary-token-77e1"]),
    ],
    ids=["ak", "temporary", "token"],
)
def test_a_server_echoing_a_secret_gets_it_blanked(
    kind: str, gate: Gate, credentials: fgs.Credentials, secrets: list[str]
) -> None:
    gate.echo = " ".join(secrets).encode()
    gate.ring.add(AK, "other-secret", PROJECT)  # so that the signature is refused and the body echoed
    gate.ring.add(TEMPORARY_AK, "other-secret", PROJECT, security_token=SECURITY_TOKEN)
    client = _client(kind, gate.url, credentials=credentials)
    outcome = _run(kind, client, lambda c: c.invoke_async(URN, {}))
    assert isinstance(outcome, fgs.AuthenticationError)
    shown = [str(outcome), repr(outcome), outcome.error_msg or "", (outcome.body or b"").decode(), repr(client)]
    assert "<redacted>" in shown[3]
    for secret in secrets:
        assert not any(secret in text for text in shown)


@pytest.mark.parametrize("kind", KINDS)
def test_an_iam_token_echoed_back_is_blanked(kind: str, gate: Gate) -> None:
    credentials = fgs.IamPassword(gate.iam, **_iam())

    async def twice_async(client: Any) -> Any:
        await client.invoke_async(URN, {})
        assert credentials.token is not None
        gate.echo, gate.forbid = credentials.token.value.encode(), True
        return await client.invoke_async(URN, {})

    def twice(client: Any) -> Any:
        if kind == "async":
            return twice_async(client)
        client.invoke_async(URN, {})
        assert credentials.token is not None
        gate.echo, gate.forbid = credentials.token.value.encode(), True
        return client.invoke_async(URN, {})

    outcome = _run(kind, _client(kind, gate.url, credentials=credentials), twice)
    assert isinstance(outcome, fgs.PermissionDeniedError)
    shown = str(outcome) + repr(outcome) + (outcome.error_msg or "") + (outcome.body or b"").decode()
    assert gate.echo.decode() not in shown
    assert "<redacted>" in shown


def _spread_over_expiry(lifetime: float) -> tuple[fgs.IamPassword, list[Any], Gate]:
    """100 async calls started from before the first token falls due (half its life) until after it expired."""
    with serving(Gate(lifetime=lifetime)) as gate:
        credentials = fgs.IamPassword(gate.iam, **_iam())

        async def main() -> list[Any]:
            async with fgs.AsyncClient(gate.url, PROJECT, credentials=credentials, retry=None) as client:
                await client.invoke_async(URN, {"first": True})
                assert credentials.token is not None
                gate.issuer.lifetime = 60.0  # the next token outlives the test
                due = credentials.token.refresh_at - time.time()
                step = (lifetime - due + 0.2) / 100  # from just before the refresh to past the expiry

                async def later(n: int) -> Any:
                    await asyncio.sleep(max(0.0, due - 0.15) + n * step)
                    try:
                        return await client.invoke_async(URN, {"n": n})
                    except fgs.FgsError as error:
                        return error

                return await asyncio.gather(*(later(n) for n in range(100)))

        return credentials, asyncio.run(main()), gate


def test_100_concurrent_async_calls_across_an_expiry_share_one_refresh() -> None:
    credentials, outcomes, gate = _spread_over_expiry(lifetime=1.0)
    assert [o for o in outcomes if not isinstance(o, str)] == []
    assert credentials.refreshes == gate.logins == 2  # the first login, and exactly one refresh
    assert all(seen.outcome == "accepted" for seen in gate.seen)


def test_100_async_calls_at_once_after_expiry_share_one_login(gate: Gate) -> None:
    gate.issuer.lifetime = 0.5
    credentials = fgs.IamPassword(gate.iam, **_iam())

    async def main() -> list[Any]:
        async with fgs.AsyncClient(gate.url, PROJECT, credentials=credentials, retry=None) as client:
            await client.invoke_async(URN, {})
            gate.issuer.lifetime = 60.0  # the next token outlives the test, however slow the machine
            await asyncio.sleep(0.6)  # the first token has expired
            return await asyncio.gather(*(client.invoke_async(URN, {"n": n}) for n in range(100)))

    outcomes = asyncio.run(main())
    assert len(set(outcomes)) == 100
    assert credentials.refreshes == gate.logins == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_login_refusal_echoing_the_password_json_escaped_hides_it(kind: str, gate: Gate) -> None:
    password = 'canary"pass\\word-93'
    gate.echo = json.dumps({"echo": password}).encode()  # escaped as JSON would: \" and \\
    wrong = fgs.IamPassword(gate.iam, DOMAIN, USER, password, PROJECT_NAME)
    outcome = _invoke(kind, gate.url, credentials=wrong)
    assert isinstance(outcome, fgs.AuthenticationError)
    shown = str(outcome) + repr(outcome) + (outcome.error_msg or "") + (outcome.body or b"").decode()
    assert password not in shown
    assert json.dumps(password)[1:-1] not in shown
    assert "<redacted>" in shown
