"""invoke_many as a method of both clients, and the Retry-After that a RateLimitError hands the fan-out."""

from __future__ import annotations

import asyncio
import json
from email.utils import formatdate
from typing import Any

import httpx
import pytest

import fgs
from contract_tests.safe_client.conftest import ENDPOINT, TOKEN
from contract_tests.support.identities import PROJECT, URN


def _answer(request: httpx.Request) -> httpx.Response:
    n = json.loads(request.content)["n"]
    if n % 3 == 2:
        return httpx.Response(404, json={"error_code": "FSS.1051", "error_msg": f"no {n}"})
    return httpx.Response(202, json={"request_id": f"rid-{n}"})


def _check(outcomes: list[Any]) -> None:
    assert len(outcomes) == 9
    for n, outcome in enumerate(outcomes):
        if n % 3 == 2:
            assert isinstance(outcome, fgs.NotFoundError)
            assert outcome.error_msg == f"no {n}"
        else:
            assert outcome == f"rid-{n}"


def test_client_invoke_many_keeps_input_order() -> None:
    with fgs.Client(ENDPOINT, PROJECT, TOKEN, transport=httpx.MockTransport(_answer)) as client:
        _check(list(client.invoke_many(URN, ({"n": n} for n in range(9)), concurrency=3, rate=1000)))


def test_async_client_invoke_many_keeps_input_order() -> None:
    async def events() -> Any:
        for n in range(9):
            yield {"n": n}

    async def main() -> list[Any]:
        transport = httpx.MockTransport(_answer)
        async with fgs.AsyncClient(ENDPOINT, PROJECT, TOKEN, transport=transport) as client:
            return [outcome async for outcome in client.invoke_many(URN, events(), concurrency=3)]

    _check(asyncio.run(main()))


def test_invoke_many_refuses_a_rate_beside_a_pacer() -> None:
    from fgs.fanout import Pacer

    with fgs.Client(ENDPOINT, PROJECT, TOKEN) as client, pytest.raises(ValueError, match="rate to the Pacer"):
        list(client.invoke_many(URN, [{}], rate=5, pacer=Pacer(5)))


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), (formatdate(2_000_000_000, usegmt=True), "date"), (None, None), ("soon", None)],
    ids=["seconds", "http-date", "absent", "unusable"],
)
def test_a_429_carries_its_retry_after_in_seconds(
    kind: str, sleeps: Any, api: Any, retry_after: str | None, expected: object
) -> None:
    from contract_tests.safe_client.conftest import make_invoker

    headers = {} if retry_after is None else {"Retry-After": retry_after}
    api.post().respond(429, json={"error_code": "FSS.0429", "error_msg": "slow down"}, headers=headers)
    with pytest.raises(fgs.RateLimitError) as caught:
        make_invoker(kind, sleeps, retry=None)[0]()
    if expected == "date":
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 1000
    else:
        assert caught.value.retry_after == expected
