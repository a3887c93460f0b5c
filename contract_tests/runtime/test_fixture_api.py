"""The fixture's runtime API: run() with no HTTP, wait(), handlers given as importable functions."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from contract_tests.runtime import callables
from contract_tests.runtime.support import code, invoke
from fgs_mock.runtime import HandlerError
from fgs_mock.testing import MockEndpoint


def test_run_returns_what_the_handler_returned(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    assert fgs_mock.run(urn, {"k": "v"}) == {"event": {"k": "v"}, "runs": 1}
    assert fgs_mock.run(urn, {"k": "w"}) == {"event": {"k": "w"}, "runs": 2}  # the same warm instance
    assert fgs_mock.invocations == []  # no HTTP, nothing accepted


def test_run_raises_with_the_handlers_error(fgs_mock: MockEndpoint) -> None:
    with pytest.raises(HandlerError) as failed:
        fgs_mock.run(code(fgs_mock, "fail", "index.fail"), {"order": 3})
    assert (failed.value.error_type, failed.value.error_message) == ("ValueError", "bad order 3")
    assert str(failed.value) == "ValueError: bad order 3"
    assert any("in fail" in line for line in failed.value.stack_trace)


def test_run_needs_a_function_registered_with_code(fgs_mock: MockEndpoint) -> None:
    with pytest.raises(ValueError, match="not registered with code"):
        fgs_mock.run(fgs_mock.function_urn, {})


def test_a_handler_may_be_an_importable_top_level_function(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("doubler", handler=callables.double)
    assert fgs_mock.run(urn, {"n": 21}) == {"doubled": 42, "function": "doubler"}
    ended = fgs_mock.wait(invoke(fgs_mock, urn, {"n": 2}))
    assert (ended.run_status, ended.result) == ("SUCCESS", {"doubled": 4, "function": "doubler"})
    refusing = fgs_mock.register("refusing", handler=callables.refuse)
    with pytest.raises(HandlerError, match="KeyError: 'n'"):
        fgs_mock.run(refusing, {})


def _closure() -> Any:
    def inner(event: Any, context: Any) -> Any:
        return event

    return inner


@pytest.mark.parametrize("handler", [lambda event, context: event, _closure(), len, MockEndpoint.run])
def test_lambdas_closures_and_other_callables_are_refused_clearly(fgs_mock: MockEndpoint, handler: Any) -> None:
    with pytest.raises(ValueError, match=r"top-level function of an importable module|cannot be imported"):
        fgs_mock.register("nope", handler=handler)
    assert not any("nope" in f for f in fgs_mock.backend.functions())


def test_wait_gives_the_invocation_once_its_run_ended(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "sleepy", "index.sleep", timeout=5)
    request_id = invoke(fgs_mock, urn, {"seconds": 0.2})
    ended = fgs_mock.wait(request_id)
    assert (ended.request_id, ended.status, ended.run_status, ended.result) == (request_id, 202, "SUCCESS", "woke")
    assert ended.body == {"seconds": 0.2}
    with pytest.raises(TimeoutError, match="still"):
        fgs_mock.wait(invoke(fgs_mock, urn, {"seconds": 30}), timeout=0.3)
    with pytest.raises(KeyError):
        fgs_mock.wait("no-such-request")


def _other_python() -> str | None:
    for version in ("3.9", "3.10", "3.12"):
        # A pyenv shim needs pyenv's own environment: take the interpreter itself.
        installed = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        found = str(installed[0]) if installed else shutil.which(f"python{version}")
        if found is not None and "shims" not in found:
            return found
    return None


def test_instances_may_run_on_another_python(fgs_mock: MockEndpoint) -> None:
    python = _other_python()
    if python is None:
        pytest.skip("no Python 3.9, 3.10 or 3.12 on this machine")
    urn = code(fgs_mock, "versioned", "index.version", python=python)
    version = fgs_mock.run(urn)
    assert version != list(sys.version_info[:2])
    assert python.endswith(f"python{version[0]}.{version[1]}")
    logged = code(fgs_mock, "logged", "index.echo", python=python)
    assert fgs_mock.wait(invoke(fgs_mock, logged, {"k": 1})).result == {"event": {"k": 1}, "runs": 1}


def test_a_direct_run_longer_than_the_engines_checks_is_left_alone(fgs_mock: MockEndpoint) -> None:
    # The engine stops instances whose store run has ended; a direct run has none and must go on.
    urn = code(fgs_mock, "sleepy", "index.sleep", timeout=10)
    assert fgs_mock.run(urn, {"seconds": 0.8}) == "woke"
