"""The mock's IAM route over HTTP, its tokens on the operation until they expire, and the credential flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from contract_tests.auth.iam import DOMAIN, PROJECT_NAME, USER, login
from contract_tests.auth.keys import AK, PASSWORD, PROJECT, SK, URN, function_path
from fgs.credentials import HttpRequest, HttpResponse, IamPassword
from fgs_conformance.signing import signed_headers
from fgs_mock import Backend, create_app, serve_in_thread

LIFETIME = 0.5


@pytest.fixture
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults(project_id=PROJECT, function_urn=URN)
    backend.add_iam_user(DOMAIN, USER, PASSWORD, PROJECT, PROJECT_NAME)
    backend.iam.lifetime = LIFETIME
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


def _send(request: HttpRequest) -> HttpResponse:
    response = httpx.request(request.method, request.url, headers=dict(request.headers), content=request.body)
    return HttpResponse(response.status_code, dict(response.headers), response.content)


def _invoke(base_url: str, token: str) -> httpx.Response:
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    return httpx.post(base_url + function_path(), content=b"{}", headers=headers)


def test_fgs_logs_in_at_the_mock_and_its_token_works_until_it_expires(mock: tuple[str, Backend]) -> None:
    base_url, backend = mock
    credentials = IamPassword(base_url, DOMAIN, USER, PASSWORD, PROJECT_NAME)  # as users of fgs log in
    started = time.time()
    credentials.ensure_fresh(_send)
    finished = time.time()
    token = credentials.token
    assert token is not None
    assert token.project_id == PROJECT
    # Issued during the login, however long a loaded machine made it (an allowance of 0.2 s failed).
    assert started + LIFETIME - 0.01 <= token.expires_at <= finished + LIFETIME + 0.01
    assert _invoke(base_url, token.value).status_code == 202
    time.sleep(max(0.0, token.expires_at - time.time()) + 0.05)
    expired = _invoke(base_url, token.value)
    assert (expired.status_code, expired.json()["error_code"]) == (401, "FSS.0401")
    assert backend.iam.issued == 1


def test_the_201_carries_the_token_in_x_subject_token_and_expires_at(mock: tuple[str, Backend]) -> None:
    base_url, _ = mock
    request = login().login_request()
    started = time.time()
    response = httpx.post(base_url + "/v3/auth/tokens", content=request.body, headers=dict(request.headers))
    finished = time.time()
    assert response.status_code == 201
    assert response.headers["x-subject-token"]
    assert response.headers["x-subject-token"] not in response.text
    expires_at = datetime.fromisoformat(response.json()["token"]["expires_at"]).timestamp()
    assert started + LIFETIME - 0.01 <= expires_at <= finished + LIFETIME + 0.01


def _login_body(password: str = PASSWORD, project: str = PROJECT_NAME) -> bytes:
    body = json.loads(login(password).login_request().body)
    body["auth"]["scope"]["project"]["name"] = project
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [
        ("POST", _login_body(password="wrong-" + PASSWORD), 401),
        ("POST", _login_body(project="another-region"), 401),
        ("POST", b'{"auth": {"identity": {"methods": ["token"]}}}', 400),
        ("POST", b"not json", 400),
        ("GET", b"", 405),
    ],
    ids=["wrong password", "another project", "not a password login", "not JSON", "GET"],
)
def test_refused_logins_get_iam_errors_and_no_token(
    mock: tuple[str, Backend], method: str, body: bytes, status: int
) -> None:
    base_url, backend = mock
    response = httpx.request(method, base_url + "/v3/auth/tokens", content=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == status
    assert "x-subject-token" not in response.headers
    assert PASSWORD not in response.text
    assert backend.iam.issued == 0
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_the_flags_register_keys_and_users() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | {"FGS_PROJECT_ID": PROJECT}
    argv = [sys.executable, "-m", "fgs_mock", "--port", "0", "--access-key", f"{AK}:{SK}"]
    argv += ["--iam-user", f"{DOMAIN}:{USER}:{PASSWORD}:{PROJECT_NAME}", "--token-lifetime", "60"]
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert SK not in banner
        assert PASSWORD not in banner
        base_url = banner.split()[2]
        url = base_url + function_path()
        headers = {"Content-Type": "application/json"}
        headers |= signed_headers("POST", url, headers, b"{}", access_key=AK, secret_key=SK, project_id=PROJECT)
        assert httpx.post(url, content=b"{}", headers=headers).status_code == 202
        credentials = IamPassword(base_url, DOMAIN, USER, PASSWORD, PROJECT_NAME)
        credentials.ensure_fresh(_send)
        assert credentials.token is not None
        assert credentials.token.expires_at == pytest.approx(time.time() + 60, abs=5)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "argv",
    [["--access-key", "no-colon"], ["--iam-user", "acme:alice"], ["--iam-user", "a::p"], ["--token-lifetime", "0"]],
)
def test_bad_credential_flags_exit_2_without_quoting_secrets(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "fgs_mock", *argv], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no-colon" not in result.stderr
