"""`fgs-conformance --profile` records a dialect, and the mock that serves the record answers as the original.

For each built-in dialect: the suite runs live against the mock in that dialect (signing, so that a
refused signature is seen too; cancels and config changes allowed) and writes a profile. Then the
battery (the suite's own requests that show a dialect) goes to the original and to a mock serving the
profile, and every answer must match: status, error_code, the keys of error bodies, Content-Type, Allow
and X-Request-Id (its format, not its value).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from contract_tests.auth.keys import AK, SK
from contract_tests.conformance.battery_apart import battery_apart
from contract_tests.conformance.signed import KEY_ENV
from contract_tests.conftest import ROOT
from contract_tests.mock.harness import live_env, run_conformance
from contract_tests.mock.mutants import Exchange, Known, wrap
from fgs_conformance.battery import Seen, collapsed
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, Backend, Behaviour, create_app, running, serve_in_thread
from fgs_mock.dialects import BUILT_IN, Dialect, builtin
from fgs_mock.testing import MockEndpoint

ALLOWED = {"FGS_ALLOW_CONFIG_CHANGES": "1", "FGS_ALLOW_CANCEL": "1", "FGS_MAX_INVOCATIONS": "200"}
# One run at a time, each long enough, behind a backlog: the suite sees its own runs WAIT (and RUNNING)
# before they end, well within its lifecycle timeout.
RUN_TIME = 0.5
BACKLOG = 16
Recorded = dict[str, tuple[Path, str]]


class Batteries(NamedTuple):
    original: list[Seen]  # against the dialect itself
    served: list[Seen]  # against a mock serving the dialect's recorded profile
    profile_served: dict[str, Any]  # what that battery recorded


# Checks that observe no choice a profile keeps; left out to keep the three runs short.
NOT_PROFILED = ["--skip", "property", "--skip", "stateful", "--skip", "json-edge-cases", "--skip", "filters"]


def _prepare(mock: MockEndpoint) -> None:
    mock.register(mock.function_urn, Behaviour.succeed(after=RUN_TIME, concurrency=1))
    mock.add_access_key(AK, SK)
    with mock.client() as client:
        for n in range(BACKLOG):
            client.invoke_async(mock.function_urn, {"backlog": n})


def _env(mock: MockEndpoint) -> dict[str, str]:
    known = Known(mock.token, mock.project_id, mock.function_urn)
    return {**live_env(mock.endpoint, known), **KEY_ENV, **ALLOWED}


# A recording of lenient by a run without the opt-ins, and only these checks (which the test below reads).
NOT_ALLOWED = "lenient-not-allowed"
NOT_ALLOWED_CHECKS = ["--check", "auth", "--check", "lifecycle", "--check", "async-config"]
OPT_INS = ("FGS_ALLOW_CANCEL", "FGS_ALLOW_CONFIG_CHANGES")


def _record(name: str, folder: Path) -> tuple[Path, str]:
    """The profile the command records of dialect `name` (or NOT_ALLOWED), and the command's output."""
    path = folder / f"{name}.json"
    with running(dialect="lenient" if name == NOT_ALLOWED else name) as mock:
        _prepare(mock)
        env, checks = _env(mock), NOT_PROFILED
        if name == NOT_ALLOWED:
            env, checks = {k: v for k, v in env.items() if k not in OPT_INS}, NOT_ALLOWED_CHECKS
        result = run_conformance(env, *checks, "--profile", str(path), cwd=folder, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return path, result.stdout + result.stderr


def _battery(dialect: str | Path) -> tuple[list[Seen], dict[str, Any]]:
    """The battery against a prepared mock serving `dialect`, in a process of its own."""
    with running(dialect=dialect) as mock:
        _prepare(mock)
        return battery_apart(_env(mock))


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recorded, dict[str, Batteries]]:
    """Each built-in dialect's profile as the command records it (with its output), and NOT_ALLOWED's; and
    per built-in dialect, the battery against it and against a mock serving its profile.

    Each run and battery mostly waits for runs behind the backlog: side by side, they take about as long
    as a recording and a battery do one after the other.
    """
    folder = tmp_path_factory.mktemp("profiles")

    def record_then_serve(name: str) -> tuple[tuple[Path, str], tuple[list[Seen], dict[str, Any]]]:
        record = _record(name, folder)
        return record, _battery(record[0])

    with ThreadPoolExecutor(max_workers=2 * len(BUILT_IN) + 1) as pool:
        originals = {name: pool.submit(_battery, name) for name in BUILT_IN}
        chains = {name: pool.submit(record_then_serve, name) for name in BUILT_IN}
        not_allowed = pool.submit(_record, NOT_ALLOWED, folder)
        recorded = {name: chains[name].result()[0] for name in BUILT_IN} | {NOT_ALLOWED: not_allowed.result()}
        batteries = {name: Batteries(originals[name].result()[0], *chains[name].result()[1]) for name in BUILT_IN}
    return recorded, batteries


@pytest.fixture(scope="module")
def recorded(observed: tuple[Recorded, dict[str, Batteries]]) -> Recorded:
    return observed[0]


@pytest.fixture(scope="module")
def batteries(observed: tuple[Recorded, dict[str, Batteries]]) -> dict[str, Batteries]:
    return observed[1]


def _loaded(recorded: Recorded, name: str) -> dict[str, Any]:
    profile: dict[str, Any] = json.loads(recorded[name][0].read_text())
    return profile


@pytest.mark.parametrize("name", BUILT_IN)
def test_the_command_records_every_choice_of_a_built_in_dialect(recorded: Recorded, name: str) -> None:
    path, output = recorded[name]
    assert f"profile: {path}" in output
    profile = _loaded(recorded, name)
    Dialect(profile)  # valid against the schema, and servable
    expected = json.loads((ROOT / f"src/fgs_mock/dialects/{name}.json").read_text())
    for situation, answer in expected["answers"].items():
        seen = profile["answers"][situation]
        assert seen is not None, f"{situation} was not observed"
        assert (seen["status"], seen["error_code"], seen["keys"]) == (
            answer["status"],
            answer["error_code"],
            answer["keys"],
        ), situation
        assert seen.get("allow", False) == answer.get("allow", False), situation
    for section in ("request_id", "headers", "config"):
        assert profile[section] == expected[section], section
    assert profile["query"] == expected["query"]
    # The suite's bodies are 100 KiB and 6 MiB, 65 and 10,001 deep: the record is a bound between them.
    built_in = builtin(name)
    refused_sizes = [size for size in (102809, 6292492) if size > built_in.max_bytes]
    assert profile["bodies"]["max_bytes"] == min(refused_sizes) - 1
    assert profile["bodies"]["max_depth"] == (64 if built_in.max_depth < 65 else 10000)
    assert SK not in path.read_text()


def _choices(profile: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in profile.items() if k not in ("name", "recorded_by")}


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_mock_serving_the_recorded_profile_answers_as_the_dialect(
    recorded: Recorded, batteries: dict[str, Batteries], name: str
) -> None:
    seen = batteries[name]
    assert len(collapsed(seen.original)) > 50
    assert collapsed(seen.served) == collapsed(seen.original)
    # And the record of the record is the record: every choice survives the round trip.
    assert _choices(seen.profile_served) == _choices(_loaded(recorded, name))


def test_a_run_not_allowed_to_cancel_or_change_the_config_leaves_them_unknown(recorded: Recorded) -> None:
    profile = _loaded(recorded, NOT_ALLOWED)  # recorded by a run that exited 0
    assert profile["answers"]["cancel-finished"] is None
    assert profile["config"] == {"created_time": None, "last_modified": None}
    assert profile["answers"]["no-token"]["error_code"] == "FSS.0403"  # what it did see, it kept
    assert profile["answers"]["unknown-route"] is None  # the methods check did not run
    served, documented = Dialect(profile), builtin("documented")
    assert served.answers["cancel-finished"] == documented.answers["cancel-finished"]
    assert served.answers["unknown-route"] == documented.answers["unknown-route"]
    assert served.time_formats == documented.time_formats
    assert served.answers["no-token"] == builtin("lenient").answers["no-token"]


CANARY = "CANARY-token-7f3a9c51e2d84b06"


def _quotes_the_token_in_its_error_shape(exchange: Exchange, known: Known) -> None:
    """A broken endpoint whose refusals name the token as their code and as a key."""
    if exchange.status >= 400:
        exchange.answer = json.dumps({"error_code": known.token, "error_msg": "no", known.token: 1}).encode()


def test_a_profile_never_holds_the_token_even_from_an_endpoint_that_quotes_it(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    known = Known(CANARY, DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN)
    backend = Backend.with_defaults(token=known.token, project_id=known.project_id, function_urn=known.function_urn)
    app = wrap(create_app(backend), known, after=_quotes_the_token_in_its_error_shape)
    with ExitStack() as stack:
        stack.enter_context(backend.engine.running())
        base_url = stack.enter_context(serve_in_thread(app))
        checks = ["--check", "auth", "--check", "existence", "--check", "bodies"]
        result = run_conformance(live_env(base_url, known), *checks, "--profile", str(path), cwd=tmp_path)
    assert result.returncode == 1, result.stdout[-4000:]  # it quotes the token: the run fails, and still writes
    text = path.read_text()
    assert CANARY not in text
    profile = json.loads(text)
    assert profile["answers"]["no-token"] is None  # observed, but it held the token: left unknown
    assert profile["request_id"] == "uuid"  # what held no secret is kept
    for report in tmp_path.iterdir():
        if report.is_file():
            assert CANARY not in report.read_text()


def test_the_battery_tells_the_built_in_dialects_apart(batteries: dict[str, Batteries]) -> None:
    # The round trip above could not fail if the battery saw no difference between dialects.
    answers = {name: collapsed(seen.original) for name, seen in batteries.items()}
    assert answers["documented"] != answers["gateway"]
    assert answers["documented"] != answers["lenient"]
    assert answers["gateway"] != answers["lenient"]
