"""fgs-conformance with an access key: the variables, the preflight and its exit codes, the secret kept out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests.auth.keys import AK, SK
from contract_tests.conformance.signed import KEY_ENV
from contract_tests.mock.harness import run_conformance
from fgs_conformance import cli
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread

LIVE = {"FGS_PROJECT_ID": DEFAULT_PROJECT_ID, "FGS_FUNCTION_URN": DEFAULT_FUNCTION_URN}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("FGS_ENDPOINT", "FGS_AUTH_TOKEN", "FGS_MAX_INVOCATIONS", "FGS_ACCESS_KEY", "FGS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in LIVE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults()
    backend.add_access_key(AK, SK, DEFAULT_PROJECT_ID)
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FGS_ACCESS_KEY": AK}, "FGS_ACCESS_KEY and FGS_SECRET_KEY go together"),
        ({"FGS_SECRET_KEY": SK}, "FGS_ACCESS_KEY and FGS_SECRET_KEY go together"),
        ({"FGS_ACCESS_KEY": AK, "FGS_SECRET_KEY": SK, "FGS_AUTH_TOKEN": DEFAULT_TOKEN}, "not both"),
    ],
    ids=["access key alone", "secret key alone", "token and key"],
)
def test_an_incomplete_or_doubled_credential_is_a_usage_error(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        env.setenv(name, value)
    assert cli.main(["--endpoint", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert SK not in err


@pytest.mark.parametrize("budget", ["1", "0"])
def test_a_wrong_secret_key_cannot_be_tested(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mock: tuple[str, Backend], budget: str
) -> None:
    base_url, backend = mock
    before = len(backend.invocations)
    env.setenv("FGS_ACCESS_KEY", AK)
    env.setenv("FGS_SECRET_KEY", "wrong-" + SK)
    assert cli.main(["--endpoint", base_url, "--max-invocations", budget]) == 3
    out, err = capsys.readouterr()
    assert "cannot test: the credentials or function were refused: 401 FSS.0401" in err
    assert SK not in out + err
    assert len(backend.invocations) == before


def test_the_right_key_passes_the_preflight_and_the_signatures_check(mock: tuple[str, Backend]) -> None:
    base_url, _ = mock
    result = run_conformance({**LIVE, **KEY_ENV, "FGS_ENDPOINT": base_url}, "--check", "signatures")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "preflight: 202" in result.stdout
    assert "6 passed, 0 failed, 0 skipped" in result.stdout
    assert SK not in result.stdout + result.stderr


def test_with_a_token_the_signatures_check_is_skipped_and_nothing_was_tested(mock: tuple[str, Backend]) -> None:
    base_url, _ = mock
    env = {**LIVE, "FGS_ENDPOINT": base_url, "FGS_AUTH_TOKEN": DEFAULT_TOKEN}
    result = run_conformance(env, "--check", "signatures")
    # A selection that tested nothing says so, and is never "conformant".
    assert result.returncode == 3, result.stdout + result.stderr
    assert "0 passed, 0 failed, 6 skipped" in result.stdout
    assert "\nnothing was tested: every test was skipped: does not apply: the run uses a token" in result.stdout
    assert "set FGS_ACCESS_KEY and FGS_SECRET_KEY" in result.stdout
    assert "\nconformant\n" not in result.stdout
