"""The five lifecycle operations over real loopback sockets; every answer is checked against the spec."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

import fgs
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread
from fgs_mock.behaviour import Behaviour

P = DEFAULT_PROJECT_ID
BASE = "/v2/{project_id}/fgs/functions/{function_urn}/"
OPERATIONS = {"async-invocations": "GET", "cancel": "POST", "async-invoke-config": "PUT|GET|DELETE"}


def _urn(name: str) -> str:
    return quote(f"urn:fss:eu-de:{P}:function:default:{name}:latest", safe="")


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[Backend, httpx.Client]]:
    backend = Backend.with_defaults(speed=20)
    backend.register_function(f"{P}:default:ok:latest", behaviour=Behaviour(duration=0.1))
    backend.register_function(f"{P}:default:bad:latest", behaviour=Behaviour("fail", duration=0.1, code=4001))
    backend.register_function(f"{P}:default:slow:latest", behaviour=Behaviour(duration=60, concurrency=1))
    with serve_in_thread(create_app(backend)) as url, httpx.Client(base_url=url, timeout=5) as client:
        client.headers["X-Auth-Token"] = DEFAULT_TOKEN
        yield backend, client


def checked(spec: dict[str, Any], response: httpx.Response) -> Any:
    """The answer's JSON body, after checking its status is documented and its body has the documented shape."""
    path = response.request.url.path.split("/")
    template, method = BASE + path[-1], response.request.method.lower()
    documented = spec["paths"][template][method]["responses"]
    assert str(response.status_code) in documented, f"{method} {path[-1]}: undocumented {response.status_code}"
    answer = documented[str(response.status_code)]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    if "content" not in answer:
        assert response.content == b""
        return None
    schema = answer["content"]["application/json"]["schema"]
    body = response.json()
    validator = OAS30Validator({"components": spec["components"], **schema})
    assert validator.is_valid(body), list(validator.iter_errors(body))
    return body


def _invoke(client: httpx.Client, name: str) -> str:
    answer = client.post(f"/v2/{P}/fgs/functions/{_urn(name)}/invocations-async", json={})
    assert answer.status_code == 202
    request_id: str = answer.json()["request_id"]
    return request_id


def _list(client: httpx.Client, spec: dict[str, Any], name: str, **params: str) -> Any:
    return checked(spec, client.get(f"/v2/{P}/fgs/functions/{_urn(name)}/async-invocations", params=params))


def _until(client: httpx.Client, spec: dict[str, Any], name: str, rid: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 2
    while True:
        [run] = _list(client, spec, name, request_id=rid)["invocations"]
        if run["status"] in statuses or time.monotonic() > deadline:
            assert run["status"] in statuses
            return dict(run)
        time.sleep(0.01)


def test_an_accepted_invocation_runs_to_success(mock: tuple[Backend, httpx.Client], spec: dict[str, Any]) -> None:
    _, client = mock
    rid = _invoke(client, "ok")
    run = _until(client, spec, "ok", rid, {"SUCCESS"})
    assert (run["error_code"], run["error_message"]) == (0, "")
    assert run["start_time"] <= run["end_time"]


def test_a_failing_function_fails_with_its_code_and_no_retry_without_a_config(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any]
) -> None:
    backend, client = mock
    rid = _invoke(client, "bad")
    assert _until(client, spec, "bad", rid, {"FAIL"})["error_code"] == 4001
    run = backend.invocations.run(rid)
    assert run is not None
    assert run.attempts == 1  # with no async config a function error is not retried (the user manual)


def test_pages_cover_the_filtered_set_without_repeats_or_gaps(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any]
) -> None:
    _, client = mock
    ids = [_invoke(client, "ok") for _ in range(7)]
    for rid in ids:
        _until(client, spec, "ok", rid, {"SUCCESS"})
    seen: list[str] = []
    marker = "0"
    while True:
        page = _list(client, spec, "ok", status="SUCCESS", limit="3", marker=marker)
        assert len(page["invocations"]) <= 3
        assert {r["status"] for r in page["invocations"]} <= {"SUCCESS"}
        seen += [r["request_id"] for r in page["invocations"]]
        if "next_marker" not in page:
            break
        assert page["next_marker"] == int(marker) + len(page["invocations"])  # an offset, as the safe client reads it
        marker = str(page["next_marker"])
    assert len(seen) == len(set(seen)) == page["count"]
    assert set(ids) <= set(seen)
    assert _list(client, spec, "ok", status="WAIT")["invocations"] == []


def test_cancel_stops_a_waiting_run_and_refuses_an_unknown_id(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any]
) -> None:
    _, client = mock
    cancel = f"/v2/{P}/fgs/functions/{_urn('slow')}/cancel"
    _invoke(client, "slow")  # takes the function's one slot
    waiting = _invoke(client, "slow")
    assert _until(client, spec, "slow", waiting, {"WAIT"})["status"] == "WAIT"
    assert checked(spec, client.post(cancel, json={"request_id": waiting, "type": "force"})) is None
    run = _until(client, spec, "slow", waiting, {"FAIL"})
    assert (run["error_code"], run["error_message"]) == (4208, "function invocation canceled")
    refused = client.post(cancel, json={"request_id": "no-such-id"})
    assert refused.status_code == 400
    assert checked(spec, refused) == {"error_code": "FSS.0400", "error_msg": "Invalid RequestId"}
    for body in ({"request_id": waiting, "type": "gently"}, {"type": "force"}, [waiting]):
        assert client.post(cancel, json=body).status_code == 400


def test_the_config_round_trips_and_is_gone_after_delete(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any]
) -> None:
    _, client = mock
    url = f"/v2/{P}/fgs/functions/{_urn('ok')}/async-invoke-config"
    wanted = {
        "max_async_event_age_in_seconds": 10,
        "max_async_retry_attempts": 3,
        "enable_async_status_log": True,
        "destination_config": {"on_success": {"destination": "SMN", "param": '{"topic_urn": "t"}'}},
    }
    put = checked(spec, client.put(url, json=wanted))
    got = checked(spec, client.get(url))
    assert put == got
    assert {k: got[k] for k in wanted} == wanted
    assert got["func_urn"] == f"urn:fss:eu-de:{P}:function:default:ok:latest"
    assert checked(spec, client.delete(url)) is None
    gone = client.get(url)
    assert gone.status_code == 404
    checked(spec, gone)
    assert checked(spec, client.put(url, json={}))["max_async_retry_attempts"] == 1  # the request table's default
    for bad in (
        {"max_async_retry_attempts": 4},
        {"max_async_event_age_in_seconds": 0},
        {"destination_config": {"on_failure": {"destination": "DIS"}}},
        {"enable_async_status_log": "yes"},
    ):
        refused = client.put(url, json=bad)
        assert refused.status_code == 400
        checked(spec, refused)
    assert client.put(url, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 400
    client.delete(url)


@pytest.mark.parametrize(
    "bad",
    [
        # No field of the request table is nullable, at any depth.
        {"max_async_retry_attempts": None},
        {"max_async_event_age_in_seconds": None},
        {"enable_async_status_log": None},
        {"destination_config": None},
        {"destination_config": {"on_success": None}},
        {"destination_config": {"on_failure": None}},
        {"destination_config": {"on_failure": {"destination": None}}},
        {"destination_config": {"on_failure": {"param": None}}},
        {"destination_config": {"on_success": "OBS"}},
        {"destination_config": {"on_failure": {"param": {"bucket": "b"}}}},
    ],
)
def test_a_config_with_null_or_a_wrong_type_anywhere_gets_400(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any], bad: dict[str, Any]
) -> None:
    _, client = mock
    url = f"/v2/{P}/fgs/functions/{_urn('ok')}/async-invoke-config"
    client.delete(url)
    try:
        refused = client.put(url, json=bad)
        assert refused.status_code == 400, refused.text
        assert checked(spec, refused)["error_code"] == "FSS.0400"
        assert client.get(url).status_code == 404  # nothing was stored
    finally:
        client.delete(url)


@pytest.mark.parametrize(
    "destinations",
    [
        {"on_failure": {}},
        {"on_success": {"destination": "OBS"}, "on_failure": {"param": '{"topic_urn": "t"}'}},
        {},
    ],
)
def test_destinations_without_their_optional_fields_are_stored_as_given(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any], destinations: dict[str, Any]
) -> None:
    _, client = mock
    url = f"/v2/{P}/fgs/functions/{_urn('ok')}/async-invoke-config"
    try:
        put = checked(spec, client.put(url, json={"destination_config": destinations}))
        assert put["destination_config"] == destinations
        assert checked(spec, client.get(url))["destination_config"] == destinations
    finally:
        client.delete(url)


def test_a_marker_of_up_to_64_digits_is_a_place_past_every_record(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any]
) -> None:
    _, client = mock
    _invoke(client, "ok")
    url = f"/v2/{P}/fgs/functions/{_urn('ok')}/async-invocations"
    assert checked(spec, client.get(url, params={"marker": ""}))["invocations"]  # empty reads as absent
    for marker in ("9" * 18, "9" * 19, "9" * 64, "0" * 60 + "1000"):
        answer = client.get(url, params={"marker": marker})
        assert answer.status_code == 200, marker
        assert checked(spec, answer)["invocations"] == []
    assert client.get(url, params={"marker": "9" * 65}).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "501"},
        {"limit": "064"},
        {"status": "DONE"},
        {"marker": "x"},
        {"marker": "-1"},
        {"marker": "1e2"},
        {"query_begin_time": "2024-01-01 00:00:00"},
        {"request_id": "r" * 65},
    ],
)
def test_a_bad_query_gets_400(mock: tuple[Backend, httpx.Client], spec: dict[str, Any], query: dict[str, str]) -> None:
    _, client = mock
    answer = client.get(f"/v2/{P}/fgs/functions/{_urn('ok')}/async-invocations", params=query)
    assert answer.status_code == 400
    assert checked(spec, answer)["error_code"] == "FSS.0400"


@pytest.mark.parametrize(("operation", "method"), [(op, m) for op, ms in OPERATIONS.items() for m in ms.split("|")])
def test_auth_and_scoping_are_those_of_invoke(
    mock: tuple[Backend, httpx.Client], spec: dict[str, Any], operation: str, method: str
) -> None:
    _, client = mock
    body = {"request_id": "x"} if method == "POST" else {}
    cases = [
        (f"/v2/{P}/fgs/functions/{_urn('ok')}/{operation}", {"X-Auth-Token": "wrong"}, 401),
        (f"/v2/{'f' * 32}/fgs/functions/{_urn('ok')}/{operation}", {}, 403),
        (f"/v2/{P}/fgs/functions/{_urn('missing')}/{operation}", {}, 404),
        (f"/v2/{P}/fgs/functions/a:b:c:d:e/{operation}", {}, 400),
    ]
    for url, headers, status in cases:
        answer = client.request(method, url, json=body if method in ("POST", "PUT") else None, headers=headers)
        assert answer.status_code == status
        checked(spec, answer)
    wrong = client.patch(f"/v2/{P}/fgs/functions/{_urn('ok')}/{operation}")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, OPERATIONS[operation].replace("|", ", "))


def test_the_safe_client_follows_the_pages_and_waits_for_the_end(mock: tuple[Backend, httpx.Client]) -> None:
    _, client = mock
    with fgs.Client(str(client.base_url), P, DEFAULT_TOKEN) as safe:
        ids = [safe.invoke_async("ok", {}) for _ in range(7)]
        assert {safe.wait("ok", i, timeout=5).status for i in ids} == {fgs.InvocationStatus.SUCCESS}
        listed = [i.request_id for i in safe.list_invocations("ok", status="SUCCESS", page_size=3)]
    assert len(listed) == len(set(listed))
    assert set(ids) <= set(listed)
