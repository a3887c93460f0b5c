"""The token never shows: not in reprs, error texts, raw bodies kept on errors, or log lines."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
import respx

import fgs
from contract_tests.safe_client.conftest import TOKEN, Invoke
from contract_tests.support.identities import ROUTE


def test_an_echoed_token_is_blanked_in_errors(api: respx.MockRouter, invoke: Invoke) -> None:
    echo = {"error_code": "FSS.0401", "error_msg": f"token {TOKEN} expired"}
    api.post(path__regex=ROUTE).respond(401, json=echo, headers={"X-Echo": TOKEN})
    with pytest.raises(fgs.AuthenticationError) as caught:
        invoke()
    error = caught.value
    for text in (str(error), repr(error), error.error_msg or "", (error.body or b"").decode()):
        assert TOKEN not in text
    assert "<redacted>" in (error.error_msg or "")


@pytest.mark.httpx_faults
def test_transport_errors_do_not_quote_the_token(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(path__regex=ROUTE).mock(side_effect=httpx.ReadError(f"peer said {TOKEN}"))
    with pytest.raises(fgs.TransportError) as caught:
        invoke()
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in "".join(traceback.format_exception(caught.value))
    assert "ReadError" in str(caught.value)


@pytest.mark.httpx_faults
def test_log_lines_never_carry_the_token(
    api: respx.MockRouter, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response | Exception] = [
        httpx.Response(503, json={"error_code": "FSS.0503", "error_msg": TOKEN}),
        httpx.ConnectError(TOKEN),
        httpx.Response(202, json={"request_id": "r"}),
    ]
    api.post(path__regex=ROUTE).mock(side_effect=answers)
    invoke()
    retries = [r for r in caplog.records if r.name == "fgs"]
    assert len(retries) == 2
    assert all("retrying" in r.getMessage() for r in retries)
    assert TOKEN not in caplog.text
