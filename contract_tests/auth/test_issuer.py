"""The mock's IAM issuer: tokens for registered users, with a settable lifetime; expired ones grant nothing."""

from __future__ import annotations

import json

import pytest

from contract_tests.auth.iam import DOMAIN, PROJECT_NAME, USER, FakeIam, login
from contract_tests.auth.keys import PASSWORD, PROJECT
from fgs_mock.auth import AuthRefusal, TokenIssuer

NOW = 1_700_000_000.0


@pytest.fixture
def issuer() -> TokenIssuer:
    issuer = TokenIssuer(lifetime=30)
    issuer.add_user(DOMAIN, USER, PASSWORD, PROJECT, PROJECT_NAME)
    return issuer


def _body(**changes: str) -> bytes:
    fields = {"domain": DOMAIN, "user": USER, "password": PASSWORD, "project": PROJECT_NAME, **changes}
    request = login(fields.pop("password")).login_request()
    data = json.loads(request.body)
    user = data["auth"]["identity"]["password"]["user"]
    user["name"], user["domain"]["name"] = fields["user"], fields["domain"]
    data["auth"]["scope"]["project"]["name"] = fields["project"]
    return json.dumps(data).encode()


def test_a_token_grants_its_project_until_it_expires(issuer: TokenIssuer) -> None:
    token = issuer.issue(_body(), NOW)
    assert token.expires_at == NOW + 30
    assert issuer.project_for_token(token.value, NOW) == PROJECT
    assert issuer.project_for_token(token.value, NOW + 29.9) == PROJECT
    assert issuer.project_for_token(token.value, NOW + 30) is None
    assert issuer.project_for_token("never-issued", NOW) is None
    assert issuer.project_for_token(None, NOW) is None


def test_the_lifetime_is_settable_and_each_token_is_new(issuer: TokenIssuer) -> None:
    issuer.lifetime = 2
    first, second = issuer.issue(_body(), NOW), issuer.issue(_body(), NOW)
    assert first.value != second.value
    assert second.expires_at == NOW + 2
    assert issuer.issued == 2


def test_its_answer_is_read_by_the_client(issuer: TokenIssuer) -> None:
    iam = FakeIam(lifetime=90)
    credentials = login()
    credentials.ensure_fresh(iam.send, iam.now)
    assert credentials.token is not None
    assert credentials.token.expires_at == pytest.approx(iam.now + 90, abs=1e-3)
    assert json.loads(json.dumps(issuer.issue(_body(), NOW).body()))["token"]["expires_at"].endswith("Z")


@pytest.mark.parametrize(
    "changes",
    [{"password": "wrong"}, {"user": "mallory"}, {"domain": "other"}, {"project": "eu-nl"}],
    ids=["wrong password", "unknown user", "other domain", "a project the user lacks"],
)
def test_wrong_credentials_are_401(issuer: TokenIssuer, changes: dict[str, str]) -> None:
    with pytest.raises(AuthRefusal) as caught:
        issuer.issue(_body(**changes), NOW)
    assert caught.value.code == "FSS.0401"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'{"auth": {}}',
        b'{"auth": {"identity": {"methods": ["token"]}}}',
        json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 1}}}}}).encode(),
        _body().replace(b'"eu-de"', b"7"),
    ],
    ids=["empty", "a list", "no identity", "another method", "fields missing", "a project that is not a string"],
)
def test_malformed_logins_are_400(issuer: TokenIssuer, body: bytes) -> None:
    with pytest.raises(AuthRefusal) as caught:
        issuer.issue(body, NOW)
    assert caught.value.code == "FSS.0400"


def test_expired_tokens_are_forgotten(issuer: TokenIssuer) -> None:
    old = issuer.issue(_body(), NOW)
    issuer.issue(_body(), NOW + 60)
    assert issuer.project_for_token(old.value, NOW) is None  # dropped, not merely expired


def test_registration_needs_every_field() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        TokenIssuer().add_user(DOMAIN, USER, "", PROJECT, PROJECT_NAME)
