"""The wheel as users install it: client only, with [mock], and what every flavour ships.

(`[conformance]` is in test_conformance_wheel.py.)
"""

from __future__ import annotations

import shutil
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from contract_tests.conftest import ROOT
from contract_tests.package.conftest import Installed

# The user's own tools, at the versions this project pins.
PYTEST, MYPY = "pytest==9.2.0", "mypy==2.4.1"
SERVER_STACK = ("uvicorn", "httptools")

USER_CODE = '''\
"""A user's module: typed against the installed fgs and fgs_mock."""

import fgs
from fgs_mock.testing import MockEndpoint, running


def send(client: fgs.Client, urn: str) -> str | None:
    try:
        return client.invoke_async(urn, {"k": "v"})
    except fgs.ApiError as error:
        print(error.status, error.error_code)
        return None


def statuses(mock: MockEndpoint) -> list[int | None]:
    return [call.status for call in mock.invocations]


def main() -> None:
    with running() as mock:
        send(mock.client(), mock.function_urn)
        print(fgs.__version__, statuses(mock))
'''


@pytest.fixture(scope="module")
def client_only(installed: Callable[..., Installed]) -> Installed:
    return installed("", PYTEST)


@pytest.fixture(scope="module")
def with_mock(installed: Callable[..., Installed]) -> Installed:
    return installed("mock", PYTEST, MYPY)


def test_the_wheel_ships_the_license_and_a_py_typed_marker_per_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
    for package in ("fgs", "fgs_mock", "fgs_conformance", "fgs_client"):
        assert f"{package}/py.typed" in names


def test_the_wheel_ships_the_dialects_and_their_schema(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("documented", "gateway", "lenient", "profile.schema"):
        assert f"fgs_mock/dialects/{name}.json" in names


def test_with_mock_the_installed_dialects_load_and_validate(with_mock: Installed) -> None:
    probe = (
        "from fgs_mock.dialects import BUILT_IN, DialectError, builtin, validate\n"
        "print([builtin(n).bad_token_status for n in BUILT_IN])\n"
        "try:\n    validate({'format': 'fgs-dialect-profile'})\nexcept DialectError as e:\n    print('refused')"
    )
    result = with_mock.run("python", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[401,", "401,", "403]", "refused"]


def test_a_client_only_install_has_no_server_stack_and_works(client_only: Installed) -> None:
    probe = "import importlib.util as u, fgs; print(fgs.__version__, [u.find_spec(m) for m in SERVER_STACK])"
    result = client_only.run("python", "-c", f"SERVER_STACK = {SERVER_STACK!r}; {probe}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.1.0 [None, None]"
    helped = client_only.run("fgs", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "invoke" in helped.stdout


def test_a_client_only_install_keeps_pytest_working_and_names_the_extra(client_only: Installed) -> None:
    (client_only.home / "test_user.py").write_text(
        textwrap.dedent("""
            def test_plain():
                assert True

            def test_with_the_mock(fgs_mock):
                pass
        """)
    )
    result = client_only.run("pytest", "-q", "-p", "no:cacheprovider", "test_user.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert "pip install 'fgs-async-contract[mock]'" in result.stdout
    assert "Traceback" not in result.stdout


def test_with_mock_the_example_test_file_passes_under_plain_pytest(with_mock: Installed) -> None:
    example = ROOT / "examples" / "test_with_fixture.py"
    shutil.copy(example, with_mock.home / "test_orders.py")
    result = with_mock.run("pytest", "-q", "-p", "no:cacheprovider", "test_orders.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{example.read_text().count(chr(10) + 'def test_')} passed" in result.stdout


def test_with_mock_the_handler_example_runs_its_function_from_the_installed_wheel(with_mock: Installed) -> None:
    shutil.copytree(ROOT / "examples" / "handler", with_mock.home / "handler")
    result = with_mock.run("pytest", "-q", "-p", "no:cacheprovider", "handler")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_mypy_strict_is_clean_on_user_code_against_the_installed_wheel(with_mock: Installed) -> None:
    (with_mock.home / "user_code.py").write_text(USER_CODE)
    result = with_mock.run("mypy", "--strict", "--no-incremental", "user_code.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout
    ran = with_mock.run("python", "-c", "import user_code; user_code.main()")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "0.1.0 [202]"


@pytest.mark.parametrize(("command", "extra"), [("fgs-mock", "mock"), ("fgs-conformance", "conformance")])
def test_a_client_only_install_names_the_extra_of_a_command(client_only: Installed, command: str, extra: str) -> None:
    result = client_only.run(command, "--help")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{command}: needs the [{extra}] extra (")
    assert lines[0].endswith(f"is not installed): pip install 'fgs-async-contract[{extra}]'")
    assert result.stdout == ""
