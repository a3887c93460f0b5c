"""What a handler sees: every method of the service's context table, the RUNTIME_* variables, user data."""

from __future__ import annotations

import json
import sys

import pytest

from contract_tests.runtime.support import HANDLERS, code, invoke
from fgs_mock.runtime.spec import FunctionCode, split_user_data_option
from fgs_mock.testing import MockEndpoint

SECRET = "sk-runtime-secret-value"


def test_every_context_method_and_runtime_variable_has_the_functions_values(
    fgs_mock: MockEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FGS_TOKEN", "the-mocks-own-token")  # the mock's environment, not the function's
    credentials = {
        "access_key": "AK1",
        "secret_key": SECRET,
        "security_access_key": "SAK",
        "security_secret_key": "SSK",
        "security_token": "STOKEN",
        "token": "TOKEN",
    }
    urn = code(
        fgs_mock,
        f"{fgs_mock.project_id}:shop:context:v2",
        "index.context_and_environment",
        timeout=2.5,
        initializer=None,
        memory=256,
        cpu=0.5,
        user_data={"COLOUR": "blue"},
        credentials=credentials,
    )
    request_id = invoke(fgs_mock, urn)
    ended = fgs_mock.wait(request_id)
    seen = ended.result
    assert seen["request_id"] == request_id
    assert 0 < seen["remaining_ms"] <= 2500
    assert seen["running_time"] == 2.5
    assert (seen["user_data"], seen["missing_user_data"]) == ("blue", None)
    assert (seen["function_name"], seen["version"], seen["package"], seen["alias"]) == ("context", "v2", "shop", "")
    assert seen["project_id"] == fgs_mock.project_id
    assert (seen["memory"], seen["cpu"]) == (256, 0.5)
    assert [seen[key] for key in credentials] == list(credentials.values())
    assert seen["logger"] == [True, True, True, True]
    assert seen["environment"] == {
        "RUNTIME_PROJECT_ID": fgs_mock.project_id,
        "RUNTIME_FUNC_NAME": "context",
        "RUNTIME_FUNC_VERSION": "v2",
        "RUNTIME_PACKAGE": "shop",
        "RUNTIME_HANDLER": "index.context_and_environment",
        "RUNTIME_TIMEOUT": "2.5",
        "RUNTIME_USERDATA": json.dumps({"COLOUR": "blue"}),
        "RUNTIME_CPU": "0.5",
        "RUNTIME_MEMORY": "256",
        "RUNTIME_MAX_RESP_BODY_SIZE": "6291456",
        "RUNTIME_INITIALIZER_HANDLER": "",
        "RUNTIME_INITIALIZER_TIMEOUT": "3",
        "RUNTIME_ROOT": seen["environment"]["RUNTIME_ROOT"],
        "RUNTIME_CODE_ROOT": HANDLERS,
        "RUNTIME_LOG_DIR": seen["environment"]["RUNTIME_LOG_DIR"],
    }
    assert seen["environment"]["RUNTIME_ROOT"].endswith("fgs_mock/runtime")
    assert seen["colour_variable"] == "blue"
    assert seen["cwd"] == HANDLERS  # the code folder is the working directory
    assert seen["mock_secrets"] == []  # the mock's own environment (tokens) stays out
    # The credentials never show in what the mock keeps or the spec's repr.
    assert SECRET not in ended.logs
    assert SECRET not in json.dumps(fgs_mock.backend.invocations.functions())


def test_the_remaining_time_counts_down_from_the_timeout(fgs_mock: MockEndpoint) -> None:
    first, later = fgs_mock.run(code(fgs_mock, "countdown", "index.remaining_twice", timeout=5))
    assert 0 < first <= 5000
    assert later <= first - 300  # the handler slept 0.3 s between the two readings


def test_an_alias_is_reported_as_the_alias(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, f"{fgs_mock.project_id}:default:aliased:!prod", "index.context_and_environment")
    seen = fgs_mock.wait(invoke(fgs_mock, urn)).result
    assert (seen["alias"], seen["version"]) == ("prod", "latest")


def test_the_credential_getters_are_empty_unless_configured(fgs_mock: MockEndpoint) -> None:
    seen = fgs_mock.run(code(fgs_mock, "plain", "index.context_and_environment"))
    assert [seen[key] for key in ("access_key", "secret_key", "security_token", "token")] == ["", "", "", ""]
    assert seen["request_id"]  # run() makes one up


@pytest.mark.parametrize(
    ("option", "parts"),
    [
        (
            "urn:fss:eu-de:p1:function:default:f:latest:KEY=a=b:c",
            ("urn:fss:eu-de:p1:function:default:f:latest", "KEY", "a=b:c"),
        ),
        ("f:K_1=", ("f", "K_1", "")),
    ],
)
def test_user_data_splits_at_the_first_equals_then_the_last_colon(option: str, parts: tuple[str, str, str]) -> None:
    assert split_user_data_option(option) == parts


@pytest.mark.parametrize("option", ["f:RUNTIME_TIMEOUT=1", "f:runtime_x=1", "f:1KEY=v", "KEY=v", "f:KEY"])
def test_bad_user_data_is_refused(option: str) -> None:
    with pytest.raises(ValueError, match=r"RUNTIME_|letters|URN:KEY=VALUE"):
        split_user_data_option(option)


def test_user_data_may_not_take_runtime_names_in_code_either(fgs_mock: MockEndpoint) -> None:
    with pytest.raises(ValueError, match="RUNTIME_"):
        code(fgs_mock, "f", "index.echo", user_data={"RUNTIME_MEMORY": "1"})


@pytest.mark.parametrize(
    "text",
    [
        "path=.,handler=index",
        "path=.,handler=/abs/index.handler",
        "path=.,handler=../up.handler",
        "path=.,handler=index.handler,timeout=0",
        "path=.,handler=index.handler,memory=big",
        "path=.,handler=index.handler,colour=red",
        "handler=index.handler",
        "path=/no/such/folder,handler=index.handler",
    ],
)
def test_a_bad_code_option_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"handler|timeout|memory|one of|path"):
        FunctionCode.parse(text)


def test_the_code_option_reads_every_key(tmp_path: object) -> None:
    text = (
        f"path={HANDLERS},handler=sub/dir/deep.handler,initializer=init/index.init,timeout=0.5,"
        f"initializer_timeout=2,memory=256,cpu=2,concurrency=3,python={sys.executable}"
    )
    assert FunctionCode.parse(text) == FunctionCode(
        handler="sub/dir/deep.handler",
        path=HANDLERS,
        initializer="init/index.init",
        timeout=0.5,
        initializer_timeout=2,
        memory=256,
        cpu=2,
        concurrency=3,
        python=sys.executable,
    )
