"""One set of settings: FGS_* names, the SDK's as aliases, a flag above both, one credential at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fgs
from contract_tests.fanout.cli_harness import URN, Mock, mock
from contract_tests.support.processes import fgs_mock_on_free_port
from fgs.settings import from_env, resolve
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

SECRET = "settings-secret-key-0123456789"
DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.fixture
def served() -> Iterator[Mock]:
    with mock() as m:
        yield m


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*os.environ]:
        if name.startswith(("FGS_", "HUAWEICLOUD_SDK_")):
            monkeypatch.delenv(name)
    return monkeypatch


def _fgs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FGS_", "HUAWEICLOUD_SDK_"))}
    command = [sys.executable, "-m", "fgs", *args]
    return subprocess.run(command, env=clean | env, capture_output=True, text=True, timeout=120, check=False)


def test_fgs_names_beat_the_sdks_names() -> None:
    env = {"HUAWEICLOUD_SDK_PROJECT_ID": "sdk-project", "FGS_PROJECT_ID": "fgs-project"}
    assert resolve(env)["FGS_PROJECT_ID"] == "fgs-project"
    assert resolve({"HUAWEICLOUD_SDK_PROJECT_ID": "sdk-project"})["FGS_PROJECT_ID"] == "sdk-project"


def test_the_sdks_credential_names_count_only_without_an_fgs_credential() -> None:
    sdk = {"HUAWEICLOUD_SDK_AK": "AK1", "HUAWEICLOUD_SDK_SK": SECRET}
    assert isinstance(from_env(sdk).credentials, fgs.AccessKey)
    assert isinstance(from_env(sdk | {"FGS_AUTH_TOKEN": "tok"}).credentials, fgs.Token)  # no clash: FGS_ wins


def test_a_token_and_a_key_pair_both_set_is_one_clear_error_that_quotes_neither() -> None:
    with pytest.raises(fgs.InvalidRequestError) as caught:
        from_env({"FGS_AUTH_TOKEN": "tok-123", "FGS_ACCESS_KEY": "AK1", "FGS_SECRET_KEY": SECRET})
    assert str(caught.value) == "set one credential, not FGS_AUTH_TOKEN and FGS_ACCESS_KEY/FGS_SECRET_KEY at once"
    with pytest.raises(fgs.InvalidRequestError, match="FGS_SECRET_KEY must both be set"):
        from_env({"FGS_ACCESS_KEY": "AK1"})
    with pytest.raises(fgs.InvalidRequestError, match="the IAM login also needs FGS_DOMAIN, FGS_USER"):
        from_env({"FGS_IAM_ENDPOINT": "http://iam", "FGS_PASSWORD": SECRET})


def test_an_iam_login_is_read_whole() -> None:
    env = {
        "FGS_IAM_ENDPOINT": "http://127.0.0.1:9",
        "FGS_DOMAIN": "acme",
        "FGS_USER": "alice",
        "FGS_PASSWORD": SECRET,
        "FGS_PROJECT_NAME": "eu-de",
    }
    credentials = from_env(env).credentials
    assert isinstance(credentials, fgs.IamPassword)
    assert SECRET not in repr(from_env(env))


def test_client_with_no_arguments_reads_the_settings(served: Mock, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FGS_ENDPOINT", served.url)
    clean_env.setenv("HUAWEICLOUD_SDK_PROJECT_ID", DEFAULT_PROJECT_ID)
    clean_env.setenv("FGS_AUTH_TOKEN", DEFAULT_TOKEN)
    with fgs.Client() as client:
        request_id = client.invoke_async(URN, {"seq": 1})
    assert [i.request_id for i in served.backend.invocations] == [request_id]


def test_an_argument_beats_the_variable(served: Mock, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FGS_ENDPOINT", DEAD)
    clean_env.setenv("FGS_PROJECT_ID", DEFAULT_PROJECT_ID)
    clean_env.setenv("FGS_AUTH_TOKEN", "wrong-token")
    with fgs.Client(served.url, token=DEFAULT_TOKEN) as client:
        client.invoke_async(URN, {"seq": 1})
    assert len(served.backend.invocations) == 1


def test_the_commands_flags_beat_the_variables(served: Mock) -> None:
    env = {"FGS_ENDPOINT": DEAD, "FGS_PROJECT_ID": "another", "FGS_AUTH_TOKEN": DEFAULT_TOKEN}
    result = _fgs("invoke", URN, "--endpoint", served.url, "--project-id", DEFAULT_PROJECT_ID, env=env)
    assert result.returncode == 0, result.stderr
    assert [i.request_id + "\n" for i in served.backend.invocations] == [result.stdout]


def test_the_command_takes_a_key_pair_from_the_sdks_names(served: Mock) -> None:
    served.backend.add_access_key("AKSETTINGS01", SECRET, DEFAULT_PROJECT_ID)
    env = {"FGS_ENDPOINT": served.url, "FGS_PROJECT_ID": DEFAULT_PROJECT_ID}
    result = _fgs("invoke", URN, env=env | {"HUAWEICLOUD_SDK_AK": "AKSETTINGS01", "HUAWEICLOUD_SDK_SK": SECRET})
    assert result.returncode == 0, result.stderr
    both = _fgs(
        "invoke", URN, env=env | {"FGS_AUTH_TOKEN": DEFAULT_TOKEN, "FGS_ACCESS_KEY": "AK", "FGS_SECRET_KEY": SECRET}
    )
    assert both.returncode == 2
    assert both.stderr == "fgs: set one credential, not FGS_AUTH_TOKEN and FGS_ACCESS_KEY/FGS_SECRET_KEY at once\n"
    assert len(served.backend.invocations) == 1


def test_fgs_mock_accepts_the_iam_login_that_the_fgs_command_reads() -> None:
    login = {"FGS_DOMAIN": "acme", "FGS_USER": "alice", "FGS_PASSWORD": SECRET, "FGS_PROJECT_NAME": "eu-de"}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FGS_", "HUAWEICLOUD_SDK_"))}
    command = Path(sys.executable).with_name("fgs-mock")
    with fgs_mock_on_free_port(command, clean | login) as url:
        env = login | {"FGS_ENDPOINT": url, "FGS_IAM_ENDPOINT": url, "FGS_PROJECT_ID": DEFAULT_PROJECT_ID}
        result = _fgs("invoke", URN, env=env)
        assert result.returncode == 0, result.stderr
        wrong = _fgs("invoke", URN, env=env | {"FGS_PASSWORD": "not-the-password"})
        assert wrong.returncode == 1
        assert "401" in wrong.stderr
        assert SECRET not in result.stderr + wrong.stderr
    half = subprocess.run(
        [str(command), "--port", "0"], env=clean | {"FGS_USER": "alice"}, capture_output=True, text=True, timeout=60
    )
    assert half.returncode == 2
    assert half.stderr.splitlines()[-1].endswith("set all three for an IAM login, or none")


def test_fgs_log_debug_shows_retries_and_never_the_token(served: Mock) -> None:
    served.backend.faults.set(status=503, next_count=1, share=0.0)
    result = _fgs("invoke", URN, env=served.env() | {"FGS_LOG": "debug"})
    assert result.returncode == 0, result.stderr
    assert "fgs: INFO retrying after status 503 (attempt 1 of" in result.stderr
    assert DEFAULT_TOKEN not in result.stderr + result.stdout
    quiet = _fgs("invoke", URN, env=served.env())
    assert quiet.stderr == ""


def test_a_short_form_read_as_project_package_name_is_explained(served: Mock) -> None:
    with (
        fgs.Client(served.url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client,
        pytest.raises(fgs.PermissionDeniedError) as caught,
    ):
        client.invoke_async("default:hello:latest", {})
    explained = "was read as <project>:<package>:<name>: project default, package hello, function latest"
    assert explained in str(caught.value)
    assert caught.value.error_msg is not None
    assert explained in caught.value.error_msg


def test_the_client_explains_a_short_form_the_server_did_not() -> None:
    from fgs._core import short_form_note

    assert "naming project default; for package default, function hello, version latest" in short_form_note(
        "default:hello:latest"
    )
    assert short_form_note("hello") == short_form_note(f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:a:b:c") == ""


def test_the_suite_reads_the_same_names_and_aliases() -> None:
    from fgs_conformance.settings import Settings

    settings = Settings.resolve(
        {"HUAWEICLOUD_SDK_AK": "AKSUITE", "HUAWEICLOUD_SDK_SK": SECRET, "HUAWEICLOUD_SDK_PROJECT_ID": "sdkproject"}
    )
    assert (settings.access_key, settings.secret_key, settings.project_id) == ("AKSUITE", SECRET, "sdkproject")
    assert SECRET not in repr(settings)


def test_the_mock_takes_its_tenant_from_the_same_names() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FGS_", "HUAWEICLOUD_SDK_")) and k != "PORT"}
    sdk = {"HUAWEICLOUD_SDK_PROJECT_ID": "sdkproject", "HUAWEICLOUD_SDK_AK": "AKMOCK", "HUAWEICLOUD_SDK_SK": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "fgs_mock", "--port", "0"],
        env=clean | sdk | {"FGS_FUNCTION_URN": "hello"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert banner.endswith(" project=sdkproject\n"), banner
        endpoint = banner.split()[2]
        with fgs.Client(endpoint, "sdkproject", credentials=fgs.AccessKey("AKMOCK", SECRET)) as client:
            assert client.invoke_async("hello", {})  # signed with the pair the mock read from the SDK's names
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    assert SECRET not in banner + err
