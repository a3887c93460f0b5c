"""With an access key: a signature over another body, a stale date, a wrong secret, SignedHeaders without host: refused.

Runs only when the run signs (FGS_ACCESS_KEY and FGS_SECRET_KEY). Each request is signed as the SDK
signs, then spoiled in one way; every other part is valid, so only that part can explain a refusal.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable, Iterable

import httpx
import pytest

from fgs_conformance.expectations import TOKEN_REFUSED, check_accepted, check_response
from fgs_conformance.report import NOT_APPLICABLE
from fgs_conformance.signing import signed_headers
from fgs_conformance.target import Target

SIGNED_BODY = b'{"conformance": "signed"}'
OTHER_BODY = b'{"conformance": "swapped"}'
# Twice the 15 minutes the service allows, so that a runner's clock a few minutes off cannot matter.
STALE_BY = 30 * 60


def _key(target: Target) -> tuple[str, str]:
    access_key, secret_key = target.settings.access_key, target.settings.secret_key
    if access_key is None or secret_key is None:
        pytest.skip(f"{NOT_APPLICABLE}: the run uses a token; set FGS_ACCESS_KEY and FGS_SECRET_KEY to sign")
    return access_key, secret_key


def _headers(
    target: Target,
    body: bytes,
    *,
    secret_key: str | None = None,
    now: float | None = None,
    leave_out: Iterable[str] = (),
) -> dict[str, str]:
    access_key, own_secret = _key(target)
    headers = {"Content-Type": "application/json"}
    headers |= signed_headers(
        "POST",
        target.url(),
        headers,
        body,
        access_key=access_key,
        secret_key=secret_key or own_secret,
        project_id=target.settings.project_id,
        now=now,
        leave_out=leave_out,
    )
    return headers


def _send(target: Target, headers: dict[str, str], body: bytes, *, costs_invocation: bool = False) -> httpx.Response:
    return target.send(token=None, content=body, extra_headers=headers, costs_invocation=costs_invocation)


def test_a_signature_over_another_body_is_refused(target: Target) -> None:
    response = _send(target, _headers(target, SIGNED_BODY), OTHER_BODY)
    target.run.profile.answer("refused-signature", response)
    check_response(response, TOKEN_REFUSED)


def test_an_accepted_signature_does_not_carry_another_body(target: Target) -> None:
    # The attack: a signed call seen on the wire, sent again at once with a body of the attacker's.
    headers = _headers(target, SIGNED_BODY)
    check_accepted(_send(target, headers, SIGNED_BODY, costs_invocation=True))
    check_response(_send(target, headers, OTHER_BODY), TOKEN_REFUSED)


def test_a_stale_date_is_refused(target: Target) -> None:
    headers = _headers(target, SIGNED_BODY, now=time.time() - STALE_BY)
    check_response(_send(target, headers, SIGNED_BODY), TOKEN_REFUSED)


def _random_like(secret: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in secret)


def _last_char_changed(secret: str) -> str:
    return secret[:-1] + ("a" if secret[-1] != "a" else "b")


WRONG_SECRETS: dict[str, Callable[[str], str]] = {"random": _random_like, "last-char": _last_char_changed}


@pytest.mark.parametrize("spoil", WRONG_SECRETS.values(), ids=WRONG_SECRETS.keys())
def test_a_wrong_secret_is_refused(target: Target, spoil: Callable[[str], str]) -> None:
    wrong = spoil(_key(target)[1])
    target.run.secrets.add(wrong)  # nearly the secret: never printed either
    check_response(_send(target, _headers(target, SIGNED_BODY, secret_key=wrong), SIGNED_BODY), TOKEN_REFUSED)


def test_signed_headers_without_host_are_refused(target: Target) -> None:
    # Host unsigned lets a signature made for one endpoint be replayed against another.
    headers = _headers(target, SIGNED_BODY, leave_out=("host",))
    check_response(_send(target, headers, SIGNED_BODY), TOKEN_REFUSED)
