"""The secret key, security token, password and IAM token never show: reprs, errors, refusals, logs."""

from __future__ import annotations

import logging
import traceback

import pytest

from contract_tests.auth.iam import DOMAIN, PROJECT_NAME, USER, FakeIam, login
from contract_tests.auth.keys import (
    AK,
    ENDPOINT,
    NOW,
    PASSWORD,
    PROJECT,
    SDK_HEADERS,
    SECURITY_TOKEN,
    SK,
    function_path,
)
from fgs import _iam
from fgs.credentials import AccessKey, HttpResponse, Token
from fgs.errors import FgsError
from fgs.settings import from_env
from fgs_mock.auth import AuthRefusal, KeyRing, TokenIssuer

TOKEN = "canary-token-c0ffee"


def _texts(*objects: object) -> str:
    return "\n".join(f"{o!s}\n{o!r}" for o in objects)


def _error_texts(error: BaseException) -> str:
    extra = [getattr(error, name, None) for name in ("error_msg", "body", "reason")]
    return _texts(error, *extra) + "".join(traceback.format_exception(error))


def test_credentials_show_no_secret() -> None:
    iam = FakeIam()
    password = login()
    shown_before = _texts(password)
    password.ensure_fresh(iam.send, iam.now)
    token = password.token
    assert token is not None
    shown = _texts(Token(TOKEN), AccessKey(AK, SK, SECURITY_TOKEN), password, token, shown_before)
    for secret in (TOKEN, SK, SECURITY_TOKEN, PASSWORD, token.value):
        assert secret not in shown
    assert AK in shown  # the access key id is not a secret, and helps to tell keys apart
    assert USER in shown


def test_the_mocks_state_shows_no_secret() -> None:
    ring = KeyRing()
    ring.add(AK, SK, PROJECT, security_token=SECURITY_TOKEN)
    issuer = TokenIssuer()
    issuer.add_user(DOMAIN, USER, PASSWORD, PROJECT, PROJECT_NAME)
    issued = issuer.issue(login().login_request().body, NOW)
    shown = _texts(ring, issuer, issued, ring._keys, issuer._users)
    for secret in (SK, SECURITY_TOKEN, PASSWORD, issued.value):
        assert secret not in shown


@pytest.mark.parametrize(
    "bad", ["", " ", "two\nlines", f"{SK}\r\n"], ids=["empty", "blank", "two lines", "secret + CRLF"]
)
def test_a_rejected_value_is_not_quoted(bad: str) -> None:
    for make in (lambda: Token(bad), lambda: AccessKey(AK, bad), lambda: login(bad)):
        with pytest.raises(FgsError) as caught:
            make()
        assert SK not in _error_texts(caught.value)


def test_an_iam_error_echoing_the_password_is_blanked() -> None:
    echo = b'{"error": {"code": 401, "message": "password %s is wrong"}}' % PASSWORD.encode()
    with pytest.raises(FgsError) as caught:
        login().ensure_fresh(lambda request: HttpResponse(401, {}, echo))
    assert PASSWORD not in _error_texts(caught.value)
    assert b"<redacted>" in (caught.value.body or b"")
    echo_token = b'{"token": {"id": "%s"}}' % TOKEN.encode()  # a 201 without expires_at, echoing the token
    with pytest.raises(FgsError) as malformed:
        _iam.parse_login(HttpResponse(201, {"x-subject-token": TOKEN}, echo_token), now=0, secrets=(PASSWORD,))
    assert TOKEN not in _error_texts(malformed.value)
    assert PASSWORD not in _error_texts(malformed.value)


def test_refusals_quote_no_secret() -> None:
    ring = KeyRing()
    ring.add(AK, SK, PROJECT, security_token=SECURITY_TOKEN)
    url = ENDPOINT + function_path()
    for key in (AccessKey(AK, SK, TOKEN), AccessKey(AK, SK + "x", SECURITY_TOKEN)):
        headers = {**SDK_HEADERS, **key.apply("POST", url, SDK_HEADERS, b"{}", project_id=PROJECT, now=NOW)}
        with pytest.raises(AuthRefusal) as caught:
            ring.verify("POST", function_path(), "", headers, b"{}", NOW)
        for secret in (SK, SECURITY_TOKEN, TOKEN):
            assert secret not in _error_texts(caught.value)


def test_from_env_reads_the_sdks_variables_and_never_quotes_them() -> None:
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": SECURITY_TOKEN,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    }
    settings = from_env(env)
    assert settings.project_id == PROJECT
    assert settings.credentials is not None
    url = ENDPOINT + function_path()
    headers = settings.credentials.apply("GET", url, {}, b"", project_id=PROJECT, now=NOW)
    assert headers == AccessKey(AK, SK, SECURITY_TOKEN).apply("GET", url, {}, b"", project_id=PROJECT, now=NOW)
    assert from_env({"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}).project_id is None
    for secret in (SK, SECURITY_TOKEN):  # the access key id is no secret
        assert secret not in repr(settings)
    with pytest.raises(FgsError, match="FGS_SECRET_KEY") as caught:
        from_env({"HUAWEICLOUD_SDK_AK": AK})
    assert AK not in _error_texts(caught.value)


def test_log_lines_carry_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    iam = FakeIam(lifetime=10)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    iam.now += 20
    credentials.ensure_fresh(iam.send, iam.now)
    assert credentials.token is not None
    assert len([r for r in caplog.records if "refreshed" in r.getMessage()]) == 2
    for secret in (PASSWORD, credentials.token.value):
        assert secret not in caplog.text
