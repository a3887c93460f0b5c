"""The `fgs_mock` pytest fixture: a fresh mock for each test behind one server, and a plugin that loads
(and says what to install) where the mock's server stack is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fgs
from contract_tests.conftest import ROOT
from fgs_mock.pytest_plugin import MISSING_EXTRA
from fgs_mock.testing import MockEndpoint

seen: dict[str, str] = {}


def test_a_test_changes_its_mock(fgs_mock: MockEndpoint) -> None:
    seen["endpoint"] = fgs_mock.endpoint
    fgs_mock.register("pkg:other")
    fgs_mock.fail(503, next=5)
    with pytest.raises(fgs.ServerError):
        fgs_mock.client(retry=None).invoke_async(fgs_mock.function_urn, {"k": "v"})
    assert len(fgs_mock.invocations) == 1


def test_the_next_test_gets_a_fresh_mock_on_the_same_server(fgs_mock: MockEndpoint) -> None:
    assert fgs_mock.endpoint == seen["endpoint"]
    assert fgs_mock.invocations == []
    assert fgs_mock.backend.faults.draw() is None
    assert all(":pkg:other:" not in f for f in fgs_mock.backend.functions())
    fgs_mock.client().invoke_async(fgs_mock.function_urn, {"k": "v"})
    fgs_mock.clear()
    assert fgs_mock.invocations == []
    assert len(fgs_mock.backend.invocations) == 0


def test_running_is_offered_by_the_package() -> None:
    import fgs_mock
    import fgs_mock.testing

    assert fgs_mock.running is fgs_mock.testing.running
    with fgs_mock.running(project_id="other-project", function_urn="fn") as mock:
        assert mock.client().invoke_async("fn", {})
        assert [(c.project_id, c.function_urn, c.status) for c in mock.invocations] == [("other-project", "fn", 202)]


def test_the_tenant_is_the_documented_default_and_the_token_stays_out_of_repr(fgs_mock: MockEndpoint) -> None:
    import fgs_mock as package

    assert (fgs_mock.token, fgs_mock.project_id) == (package.DEFAULT_TOKEN, package.DEFAULT_PROJECT_ID)
    assert fgs_mock.function_urn == package.DEFAULT_FUNCTION_URN
    assert fgs_mock.token not in repr(fgs_mock)
    assert fgs_mock.endpoint.startswith("http://127.0.0.1:")


def _pytest_without(blocked: str, test_file: Path) -> subprocess.CompletedProcess[str]:
    """pytest in a child, with `blocked` unimportable, as in an install without the [mock] extra."""
    code = f"import sys; sys.modules[{blocked!r}] = None; import pytest; sys.exit(pytest.main())"
    return subprocess.run(
        [sys.executable, "-c", code, "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=test_file.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_uvicorn_pytest_runs_and_the_fixture_names_the_extra(tmp_path: Path) -> None:
    user_tests = tmp_path / "test_user.py"
    user_tests.write_text(
        textwrap.dedent("""
            def test_plain():
                assert True

            def test_with_the_mock(fgs_mock):
                pass
        """)
    )
    result = _pytest_without("uvicorn", user_tests)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed, 1 error" in output
    assert MISSING_EXTRA in output
    assert "Traceback" not in output


def test_the_example_test_file_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
