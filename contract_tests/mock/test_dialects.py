"""The mock serves a dialect as data: built-in ones by name, any valid profile by path, a bad one refused.

Each choice a profile can make is served over HTTP here, including those no built-in dialect makes
(oldest first, absent or empty pending values, a limit of 64, other time shapes, a refused finished cancel).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.conftest import ROOT
from fgs_mock import Behaviour, running
from fgs_mock.dialects import BUILT_IN, Dialect, DialectError, builtin, load, schema, validate
from fgs_mock.testing import MockEndpoint

DOCUMENTED: dict[str, Any] = json.loads((ROOT / "src/fgs_mock/dialects/documented.json").read_text())


def _profile(**changes: Any) -> dict[str, Any]:
    """The documented profile with some sections changed: {"query": {...}} replaces keys within it."""
    profile = copy.deepcopy(DOCUMENTED)
    profile["name"] = "custom"
    for section, values in changes.items():
        if isinstance(values, dict):
            profile[section].update(values)
        else:
            profile[section] = values
    return profile


def _unknown() -> dict[str, Any]:
    """A profile that observed nothing."""
    return {
        "format": "fgs-dialect-profile",
        "version": 1,
        "name": "nothing seen",
        "answers": {},
        "request_id": None,
        "headers": {"content_type": None, "x_request_id": None},
        "query": {"max_limit": None, "order": None, "pending": {}},
        "config": {"created_time": None, "last_modified": None},
        "bodies": {"max_bytes": None, "max_depth": None},
    }


def _ops(mock: MockEndpoint) -> str:
    return f"{mock.endpoint}/v2/{mock.project_id}/fgs/functions/{mock.function_urn}"


def _invoke(mock: MockEndpoint, client: httpx.Client, **headers: str) -> httpx.Response:
    sent = {"X-Auth-Token": mock.token, "Content-Type": "application/json", **headers}
    return client.post(f"{_ops(mock)}/invocations-async", content=b"{}", headers=sent)


def _list(mock: MockEndpoint, client: httpx.Client, **params: str) -> httpx.Response:
    return client.get(f"{_ops(mock)}/async-invocations", params=params, headers={"X-Auth-Token": mock.token})


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


def test_the_built_in_profiles_are_valid_and_documented_is_the_default() -> None:
    assert BUILT_IN == ("documented", "gateway", "lenient")
    for name in BUILT_IN:
        validate(json.loads((ROOT / f"src/fgs_mock/dialects/{name}.json").read_text()))
    assert Dialect().answers == builtin("documented").answers
    assert schema()["properties"]["version"] == {"const": 1}


def test_a_profile_that_observed_nothing_serves_the_documented_choices() -> None:
    served, documented = Dialect(_unknown()), builtin("documented")
    for attribute in ("answers", "request_id_format", "content_type", "x_request_id", "max_limit", "newest_first"):
        assert getattr(served, attribute) == getattr(documented, attribute), attribute
    for attribute in ("pending", "time_formats", "max_bytes", "max_depth"):
        assert getattr(served, attribute) == getattr(documented, attribute), attribute


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda p: p.update(version=2), "version"),
        (lambda p: p["answers"].update({"no-token": {"status": 202, "error_code": None, "keys": []}}), "no-token"),
        (
            lambda p: p["answers"].update({"wrong-token": {"status": 401, "error_code": "x y", "keys": []}}),
            "wrong-token",
        ),
        (lambda p: p["query"].update(order="sideways"), "order"),
        (lambda p: p["headers"].update(content_type="text/html"), "content_type"),
        (lambda p: p.update(extra=1), "top level"),
        (lambda p: p.pop("bodies"), "top level"),
    ],
)
def test_an_invalid_profile_is_refused_naming_where(edit: Any, where: str) -> None:
    profile = _profile()
    edit(profile)
    with pytest.raises(DialectError, match=where):
        Dialect(profile)


def _fgs_mock(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FGS_") and k != "PORT"}
    command = [sys.executable, "-m", "fgs_mock", "--port", "0", *args]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        (json.dumps({**DOCUMENTED, "version": 7}), "at version"),
    ],
)
def test_fgs_mock_with_a_bad_dialect_file_says_so_in_one_line_and_exits_2(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "dialect.json"
    if content is not None:
        path.write_text(content)
    result = _fgs_mock("--dialect", str(path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fgs-mock: error: --dialect: ")
    assert message in lines[0]


def test_lenient_is_an_alias_that_cannot_contradict_dialect() -> None:
    result = _fgs_mock("--lenient", "--dialect", "gateway")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["fgs-mock: error: --lenient is --dialect lenient: give one of them"]


@pytest.mark.parametrize("args", [["--lenient"], ["--dialect", "lenient"], ["--dialect", "PROFILE"]])
def test_fgs_mock_serves_a_dialect_by_flag(args: list[str], tmp_path: Path, client: httpx.Client) -> None:
    profile = tmp_path / "lenient.json"
    profile.write_text((ROOT / "src/fgs_mock/dialects/lenient.json").read_text())
    args = [str(profile) if a == "PROFILE" else a for a in args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FGS_") and k != "PORT"}
    command = [sys.executable, "-m", "fgs_mock", "--port", "0", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=clean, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", banner)
        assert found is not None, banner
        url = f"http://127.0.0.1:{found.group(1)}/v2/0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60/fgs/functions/hello/invocations-async"
        response = client.post(url, content=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 403
        assert response.json()["error_code"] == "FSS.0403"
        assert "error_detail" in response.json()
        assert response.headers["content-type"] == "application/json;charset=UTF-8"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_gateway_dialect_writes_hex_ids_and_reads_them_back(client: httpx.Client) -> None:
    with running(dialect="gateway") as mock:
        mock.register(mock.function_urn, Behaviour.succeed(after=30))
        accepted = _invoke(mock, client)
        request_id = accepted.json()["request_id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert accepted.headers["x-request-id"] == request_id
        assert mock.invocations[-1].run_status in ("WAIT", "RUNNING")
        listed = _list(mock, client, request_id=request_id).json()["invocations"]
        assert [r["request_id"] for r in listed] == [request_id]
        cancel = client.post(
            f"{_ops(mock)}/cancel",
            json={"request_id": request_id},
            headers={"X-Auth-Token": mock.token},
        )
        assert cancel.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", cancel.headers["x-request-id"])
        refused = _invoke(mock, client, **{"X-Auth-Token": "wrong"})
        body = refused.json()
        assert (refused.status_code, body["error_code"]) == (401, "APIG.1002")
        assert body["request_id"] == refused.headers["x-request-id"]


def _wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_every_other_choice_a_profile_can_make_is_served(client: httpx.Client) -> None:
    answer = {"status": 409, "error_code": "X.0409", "keys": ["error_code", "error_msg", "trace"]}
    profile = _profile(
        answers={**DOCUMENTED["answers"], "cancel-finished": answer, "limit-above-maximum": None},
        query={"max_limit": 64, "order": "oldest-first", "pending": {"error_code": "absent", "end_time": "empty"}},
        config={"created_time": "T-Z", "last_modified": "T"},
        headers={"content_type": "application/json; charset=utf-8", "x_request_id": "uuid"},
    )
    with running(dialect=Dialect(profile)) as mock:
        mock.register(mock.function_urn, Behaviour.succeed(after=1, concurrency=1))
        ids = [_invoke(mock, client).json()["request_id"] for _ in range(3)]
        page = _list(mock, client)
        assert page.headers["content-type"] == "application/json; charset=utf-8"
        assert re.fullmatch(r"[0-9a-f-]{36}", page.headers["x-request-id"])
        records = page.json()["invocations"]
        assert [r["request_id"] for r in records] == ids  # oldest first
        waiting = [r for r in records if r["status"] == "WAIT"]
        assert waiting, records
        assert all("error_code" not in r and r["end_time"] == "" for r in waiting)
        assert _list(mock, client, limit="64").status_code == 200
        # Unknown in the profile: the documented answer to a limit above the maximum, a 400.
        above = _list(mock, client, limit="65")
        assert (above.status_code, above.json()["error_code"]) == (400, "FSS.0400")
        _wait_for(lambda: mock.invocations[0].run_status == "SUCCESS")
        cancel = client.post(f"{_ops(mock)}/cancel", json={"request_id": ids[0]}, headers={"X-Auth-Token": mock.token})
        assert cancel.status_code == 409
        assert sorted(cancel.json()) == ["error_code", "error_msg", "trace"]
        assert cancel.json()["error_code"] == "X.0409"
        config = client.put(
            f"{_ops(mock)}/async-invoke-config",
            json={"max_async_retry_attempts": 1},
            headers={"X-Auth-Token": mock.token},
        ).json()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", config["created_time"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", config["last_modified"])


def test_a_dialect_that_serves_pages_above_its_limit_caps_them(client: httpx.Client) -> None:
    served = {"status": 200, "error_code": None, "keys": ["count", "invocations", "next_marker"]}
    profile = _profile(answers={**DOCUMENTED["answers"], "limit-above-maximum": served}, query={"max_limit": 64})
    with running(dialect=Dialect(profile)) as mock:
        assert _list(mock, client, limit="65").status_code == 200
        assert _list(mock, client, limit="501").status_code == 200


def test_body_limits_come_from_the_dialect(client: httpx.Client) -> None:
    refuse = {"status": 400, "error_code": "X.0001", "keys": ["error_code", "error_msg"]}
    profile = _profile(
        answers={**DOCUMENTED["answers"], "oversized-body": refuse, "too-deep": refuse},
        bodies={"max_bytes": 1000, "max_depth": 3},
    )
    with running(dialect=Dialect(profile)) as mock:
        sent = {"X-Auth-Token": mock.token, "Content-Type": "application/json"}
        url = f"{_ops(mock)}/invocations-async"
        assert client.post(url, content=b'{"a": [[1]]}', headers=sent).status_code == 202  # depth 3
        deep = client.post(url, content=b'{"a": [[{}]], "s": "[[[["}', headers=sent)
        assert (deep.status_code, deep.json()["error_code"]) == (400, "X.0001")
        assert client.post(url, content=b'{"s": "' + b"x" * 990 + b'"}', headers=sent).status_code == 202
        large = client.post(url, content=b'{"s": "' + b"x" * 1000 + b'"}', headers=sent)
        assert (large.status_code, large.json()["error_code"]) == (400, "X.0001")


def test_running_takes_a_profile_path(tmp_path: Path, client: httpx.Client) -> None:
    path = tmp_path / "gateway.json"
    path.write_text((ROOT / "src/fgs_mock/dialects/gateway.json").read_text())
    with running(dialect=path) as mock:
        assert load(path).name == mock.dialect.name == "gateway"
        response = client.post(f"{_ops(mock)}/nonesuch", headers={"X-Auth-Token": mock.token})
        assert (response.status_code, response.json()["error_code"]) == (404, "APIG.0101")
        mock.reset()
        assert mock.dialect.name == "gateway"
        mock.reset(dialect="documented")
        assert mock.dialect.name == "documented"


FIXTURE_TESTS = """
import httpx
import pytest


def _refused(fgs_mock):
    url = f"{fgs_mock.endpoint}/v2/{fgs_mock.project_id}/fgs/functions/{fgs_mock.function_urn}/invocations-async"
    return httpx.post(url, content=b"{}", headers={"Content-Type": "application/json"}).json()["error_code"]


def test_session_dialect(fgs_mock):
    assert _refused(fgs_mock) == "FSS.0403"


@pytest.mark.fgs_mock_dialect("gateway")
def test_marked(fgs_mock):
    assert _refused(fgs_mock) == "APIG.1002"


def test_back_to_the_session_dialect(fgs_mock):
    assert _refused(fgs_mock) == "FSS.0403"
"""


def test_the_fixture_takes_a_session_dialect_and_a_marker_per_test(tmp_path: Path) -> None:
    (tmp_path / "test_fixture_dialects.py").write_text(FIXTURE_TESTS)
    command = [sys.executable, "-m", "pytest", "-p", "no:schemathesis", "-p", "no:cacheprovider", "-q"]
    command += ["--fgs-mock-dialect", "lenient", "test_fixture_dialects.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout
