"""Your FunctionGraph handler, run by the `fgs_mock` fixture behind the async API (pip install
'fgs-async-contract[mock]'). Run it with `pytest examples/handler`.

The function in function/index.py runs in worker processes as the service runs it: the initializer
once per instance, then the handler with the event and a context; failures are retried per the async
config and end at the on_failure destination.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fgs
from fgs_mock.runtime import HandlerError
from fgs_mock.testing import MockEndpoint

FUNCTION = str(Path(__file__).resolve().parent / "function")


@pytest.fixture
def orders(fgs_mock: MockEndpoint) -> str:
    """The pricing function, retried twice, with failures sent to the dead-letter function."""
    dead_letters = fgs_mock.register("dead-letters", path=FUNCTION, handler="index.dead_letter")
    urn = fgs_mock.register("orders", path=FUNCTION, handler="index.handler", initializer="index.init", timeout=2)
    on_failure = fgs.Destination(fgs.DestinationKind.FUNCTIONGRAPH, {"func_urn": dead_letters})
    with fgs_mock.client() as client:
        client.put_async_config(urn, fgs.AsyncConfig(max_retry_attempts=2, on_failure=on_failure))
    return urn


def test_an_order_is_priced(fgs_mock: MockEndpoint, orders: str) -> None:
    with fgs_mock.client() as client:
        request_id = client.invoke_async(orders, {"order_id": 1, "item": "book", "quantity": 2})
        assert client.wait(orders, request_id, timeout=30, poll=0.05).status == fgs.InvocationStatus.SUCCESS
    run = fgs_mock.wait(request_id)
    assert run.result == {"order_id": 1, "total": 24}
    assert "2 prices loaded" in run.logs  # the initializer's line comes with the instance's first run
    assert f"{request_id} INFO order 1: book" in run.logs


def test_an_unpriced_item_is_retried_then_sent_to_the_dead_letter_function(fgs_mock: MockEndpoint, orders: str) -> None:
    with fgs_mock.client() as client:
        request_id = client.invoke_async(orders, {"order_id": 2, "item": "lamp"})
        run = client.wait(orders, request_id, timeout=30, poll=0.05)
    assert (run.status, run.error_message) == (fgs.InvocationStatus.FAIL, "LookupError: no price for lamp")
    assert fgs_mock.wait(request_id).attempts == 3
    (told,) = fgs_mock.notifications
    assert told.delivered_as is not None
    assert fgs_mock.wait(told.delivered_as).result == {
        "failed": request_id,
        "attempts": 3,
        "order_id": 2,
        "reason": "no price for lamp",
    }


def test_the_handler_alone_with_no_http(fgs_mock: MockEndpoint, orders: str) -> None:
    assert fgs_mock.run(orders, {"order_id": 3, "item": "pen"}) == {"order_id": 3, "total": 2}
    with pytest.raises(HandlerError) as failed:
        fgs_mock.run(orders, {"order_id": 4, "item": "lamp"})
    assert failed.value.error_type == "LookupError"
