"""Attack: control requests that overflow, half-apply, hide in a huge body, or pass floats as counts."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.mock.raw import PATH, running
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app
from fgs_mock.models import Refusal
from fgs_mock.server import serve_in_thread

BEFORE = {"status": 500, "next": 4, "share": 0.25}


@pytest.mark.parametrize(
    "body",
    [
        b'{"next": 1e999}',
        b'{"status": 503, "next": 3, "seed": [1, 2]}',
        b'{"next": 2.9}',
        b'{"next": true}',
        b'{"share": 1e999}',
        b'{"share": NaN}',
        b'{"share": -0.5}',
        b'{"status": 503, "nxt": 3}',
        b'{"status": "503"}',
        b"[]",
        b"{",
    ],
    ids=["overflow", "partly-invalid", "float-count", "bool-count", "inf-share", "nan-share", "negative-share",
         "unknown-key", "string-status", "array", "truncated"],
)  # fmt: skip
def test_an_invalid_fault_plan_is_refused_whole(body: bytes) -> None:
    with running() as mock, httpx.Client(base_url=mock.base_url) as http:
        assert http.post("/_mock/faults", json=BEFORE).status_code == 204
        answer = http.post("/_mock/faults", content=body)
        assert answer.status_code == 400
        assert answer.json()["error_code"] == "FSS.0400"
        assert http.get("/_mock/faults").json() == BEFORE


def test_a_7_mib_body_is_refused_and_clears_nothing() -> None:
    with running() as mock, httpx.Client(base_url=mock.base_url) as http:
        assert http.post("/_mock/faults", json=BEFORE).status_code == 204
        answer = http.post("/_mock/faults", content=b'{"status": 503' + b" " * (7 * 1024 * 1024) + b"}")
        assert answer.status_code == 413
        assert http.get("/_mock/faults").json() == BEFORE


def test_an_invalid_registration_registers_nothing() -> None:
    with running() as mock, httpx.Client(base_url=mock.base_url) as http:
        for body in (
            {"urn": "pkg:other:v2", "project_id": "elsewhere"},  # read as project "pkg": conflicts
            {"urn": "other", "project_id": ["x"]},
            {"urn": "other", "project_id": "p", "extra": 1},
            {"urn": 5},
        ):
            assert http.post("/_mock/functions", json=body).status_code == 400
        for urn in ("pkg:other:v2", "other"):
            with pytest.raises(Refusal):
                mock.backend.resolve(DEFAULT_PROJECT_ID, urn)


def test_with_a_control_token_every_control_route_needs_it_once() -> None:
    backend = Backend.with_defaults()
    with (
        serve_in_thread(create_app(backend, control_token="s3cret-control")) as base_url,
        httpx.Client(base_url=base_url) as http,
    ):
        assert http.post("/_mock/faults", json={"next": 1}).status_code == 401
        assert http.get("/_mock/invocations", headers={"X-Mock-Control-Token": "wrong"}).status_code == 401
        doubled = [("X-Mock-Control-Token", "s3cret-control"), ("X-Mock-Control-Token", "wrong")]
        assert http.delete("/_mock/faults", headers=doubled).status_code == 401
        good = {"X-Mock-Control-Token": "s3cret-control"}
        assert http.post("/_mock/faults", json={"next": 1}, headers=good).status_code == 204
        refused = http.post("/_mock/faults", json={"next": 1})
        assert "s3cret" not in refused.text
        assert backend.faults.next_count == 1
        # The contract's own route never asks for the control token.
        call = http.post(PATH, json={}, headers={"X-Auth-Token": DEFAULT_TOKEN})
        assert call.status_code == 503


def test_off_loopback_the_mock_will_not_serve_control_routes_without_a_token() -> None:
    with pytest.raises(ValueError, match="control token"), serve_in_thread(create_app(), host="0.0.0.0"):  # noqa: S104
        pass
