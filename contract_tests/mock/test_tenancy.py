"""Two tenants on one mock, each with a function of the same name, a running run and an async config.

Neither reaches the other's through any lifecycle operation, naming the other project in the path, in
the URN or in both, nor through the other's request_id under its own path; and nothing either owns
changes when it tries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
import pytest

from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread
from fgs_mock.behaviour import Behaviour

OTHER_PROJECT = "9f8e7d6c5b4a49382716a5b4c3d2e1f0"
OTHER_TOKEN = "tenant-b-token-5c1d9e"
CONFIG = {"max_async_event_age_in_seconds": 600, "max_async_retry_attempts": 2, "enable_async_status_log": True}
OPERATIONS = [
    ("GET", "async-invocations"),
    ("POST", "cancel"),
    ("GET", "async-invoke-config"),
    ("PUT", "async-invoke-config"),
    ("DELETE", "async-invoke-config"),
]


class Tenant(NamedTuple):
    project_id: str
    token: str
    run: str  # a request_id of this tenant's function, still running

    def urn(self, project_id: str | None = None) -> str:
        return f"urn:fss:eu-de:{project_id or self.project_id}:function:default:hello:latest"


def path(project_id: str, urn: str, operation: str) -> str:
    return f"/v2/{project_id}/fgs/functions/{quote(urn, safe='')}/{operation}"


def _tenant(client: httpx.Client, project_id: str, token: str) -> Tenant:
    headers = {"X-Auth-Token": token}
    urn = Tenant(project_id, token, "").urn()
    accepted = client.post(path(project_id, urn, "invocations-async"), json={}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    client.put(path(project_id, urn, "async-invoke-config"), json=CONFIG, headers=headers).raise_for_status()
    return Tenant(project_id, token, accepted.json()["request_id"])


@pytest.fixture
def tenants() -> Iterator[tuple[httpx.Client, Tenant, Tenant]]:
    backend = Backend.with_defaults()
    backend.add_token(OTHER_TOKEN, OTHER_PROJECT)
    for project_id in (DEFAULT_PROJECT_ID, OTHER_PROJECT):
        # Runs that outlast the test: a cancel that got through would end them.
        backend.register_function(f"{project_id}:default:hello:latest", behaviour=Behaviour(duration=600))
    with serve_in_thread(create_app(backend)) as url, httpx.Client(base_url=url, timeout=10) as client:
        own, other = _tenant(client, DEFAULT_PROJECT_ID, DEFAULT_TOKEN), _tenant(client, OTHER_PROJECT, OTHER_TOKEN)
        # Both runs started, so that a status other than RUNNING afterwards can only be a stop.
        deadline = time.monotonic() + 30
        while {_state(client, own)[0], _state(client, other)[0]} != {"RUNNING"}:
            assert time.monotonic() < deadline, "the runs did not start within 30 s"
            time.sleep(0.02)
        yield client, own, other


def _state(client: httpx.Client, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """The tenant's run status and config, as the tenant itself reads them."""
    headers = {"X-Auth-Token": tenant.token}
    listed = client.get(path(tenant.project_id, tenant.urn(), "async-invocations"), headers=headers)
    (record,) = listed.json()["invocations"]
    config = client.get(path(tenant.project_id, tenant.urn(), "async-invoke-config"), headers=headers)
    assert config.status_code == 200, config.text
    return record["status"], {k: config.json()[k] for k in CONFIG}


def _send(client: httpx.Client, method: str, url: str, token: str, request_id: str) -> httpx.Response:
    body = {"request_id": request_id} if method == "POST" else CONFIG | {"max_async_retry_attempts": 0}
    return client.request(
        method, url, json=body if method in ("POST", "PUT") else None, headers={"X-Auth-Token": token}
    )


@pytest.mark.parametrize(("method", "operation"), OPERATIONS, ids=[f"{m} {o}" for m, o in OPERATIONS])
def test_a_tenant_naming_the_other_project_anywhere_is_refused_and_changes_nothing(
    tenants: tuple[httpx.Client, Tenant, Tenant], method: str, operation: str
) -> None:
    client, own, other = tenants
    before = _state(client, own), _state(client, other)
    places = {
        "path and URN": (other.project_id, other.urn()),
        "path": (other.project_id, own.urn()),
        "URN, under the own path": (own.project_id, own.urn(other.project_id)),
    }
    for place, (project_id, urn) in places.items():
        for request_id in (own.run, other.run):
            answer = _send(client, method, path(project_id, urn, operation), own.token, request_id)
            assert (answer.status_code, answer.json()["error_code"]) == (403, "FSS.0403"), (place, answer.text)
            assert own.run not in answer.text, place
            assert other.run not in answer.text, place
    assert (_state(client, own), _state(client, other)) == before


def test_the_other_tenants_request_id_under_the_own_path_is_neither_listed_nor_cancelled(
    tenants: tuple[httpx.Client, Tenant, Tenant],
) -> None:
    client, own, other = tenants
    headers = {"X-Auth-Token": own.token}
    listed = client.get(
        path(own.project_id, own.urn(), "async-invocations"), params={"request_id": other.run}, headers=headers
    )
    assert (listed.status_code, listed.json()["invocations"]) == (200, [])
    cancelled = client.post(path(own.project_id, own.urn(), "cancel"), json={"request_id": other.run}, headers=headers)
    assert (cancelled.status_code, cancelled.json()["error_msg"]) == (400, "Invalid RequestId")
    assert _state(client, other)[0] == "RUNNING"
