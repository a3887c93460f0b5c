"""How answers become a request_id or one of the package's errors, whatever the body looks like."""

from __future__ import annotations

import pytest
import respx

import fgs
from contract_tests.safe_client.conftest import Invoke
from contract_tests.support.identities import ROUTE


def test_202_returns_the_request_id(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(path__regex=ROUTE).respond(202, json={"request_id": "1167bf8c-87b0-43ab-8f5f-26b16c64f252", "x": 1})
    assert invoke() == "1167bf8c-87b0-43ab-8f5f-26b16c64f252"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, fgs.BadRequestError),
        (401, fgs.AuthenticationError),
        (403, fgs.PermissionDeniedError),
        (404, fgs.NotFoundError),
        (500, fgs.ServerError),
    ],
)
def test_documented_errors_carry_status_code_and_message(
    api: respx.MockRouter, invoke: Invoke, status: int, error: type[fgs.ApiError]
) -> None:
    api.post(path__regex=ROUTE).respond(status, json={"error_code": "FSS.X", "error_msg": "why"})
    with pytest.raises(error) as caught:
        invoke()
    assert isinstance(caught.value, fgs.ApiError)
    assert isinstance(caught.value, fgs.FgsError)
    assert (caught.value.status, caught.value.error_code, caught.value.error_msg) == (status, "FSS.X", "why")
    assert caught.value.body == b'{"error_code":"FSS.X","error_msg":"why"}'
    assert "FSS.X" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Bad gateway</body></html>", b"", b"null", b'{"error_code": "FSS.04', b"[1]", b'{"error_code": 7}'],
    ids=["html", "empty", "null", "truncated", "array", "wrong-type"],
)
def test_documented_error_with_unusable_body_is_still_an_api_error(
    api: respx.MockRouter, invoke: Invoke, body: bytes
) -> None:
    api.post(path__regex=ROUTE).respond(404, content=body, headers={"Content-Type": "text/html"})
    with pytest.raises(fgs.NotFoundError) as caught:
        invoke()
    assert caught.value.status == 404
    assert caught.value.error_code is None
    assert caught.value.body == body  # nothing lost


def test_error_with_only_one_usable_field_keeps_it(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(path__regex=ROUTE).respond(403, json={"error_code": "FSS.0403", "error_msg": None})
    with pytest.raises(fgs.PermissionDeniedError) as caught:
        invoke()
    assert (caught.value.error_code, caught.value.error_msg) == ("FSS.0403", None)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (202, b'{"request_id": ""}'),
        (202, b'{"request_id": "   "}'),
        (202, b'{"request_id": 12}'),
        (202, b'{"request_id": null}'),
        (202, b"{}"),
        (202, b"[]"),
        (202, b"not json"),
        (202, b""),
        (200, b'{"request_id": "r"}'),
        (204, b""),
    ],
)
def test_2xx_without_a_usable_request_id_is_a_protocol_error(
    api: respx.MockRouter, invoke: Invoke, status: int, body: bytes
) -> None:
    api.post(path__regex=ROUTE).respond(status, content=body)
    with pytest.raises(fgs.ProtocolError) as caught:
        invoke()
    assert caught.value.status == status
    assert caught.value.body == body
    assert not isinstance(caught.value, fgs.ApiError)


@pytest.mark.parametrize("status", [301, 302, 409, 418, 422, 502, 504])
def test_undocumented_status_is_a_protocol_error_with_what_was_sent(
    api: respx.MockRouter, invoke: Invoke, status: int
) -> None:
    api.post(path__regex=ROUTE).respond(status, json={"error_code": "FSS.0502", "error_msg": "Bad gateway."})
    with pytest.raises(fgs.ProtocolError) as caught:
        invoke()
    assert caught.value.status == status
    assert caught.value.error_code == "FSS.0502"
    assert "undocumented status" in str(caught.value)
