"""X-Auth-Token is mandatory: missing, malformed and wrong tokens are refused."""

from __future__ import annotations

import secrets
import string

import pytest

from fgs_conformance.expectations import TOKEN_REFUSED, check_response
from fgs_conformance.target import Target


def test_missing_token_is_refused(target: Target) -> None:
    response = target.send(token=None)
    target.run.profile.answer("no-token", response)
    check_response(response, TOKEN_REFUSED)


@pytest.mark.parametrize(
    "token",
    ["", "x", "not a token", "Bearer abc.def", "A" * 1024],
    ids=["empty", "one-char", "spaces", "bearer", "1KiB"],
)
def test_malformed_token_is_refused(target: Target, token: str) -> None:
    # A gateway may turn an unusable header away as a bad request before it authenticates.
    check_response(target.send(token=token), TOKEN_REFUSED | {400})


def test_valid_looking_but_wrong_token_is_refused(target: Target) -> None:
    # Same length and character classes as the real one, so only a real check can tell them apart;
    # random rather than derived, so a failure report cannot quote most of the real token.
    real = target.settings.token or secrets.token_hex(16)  # signing with a key: any token is a wrong one
    wrong = real
    while wrong == real:
        wrong = "".join(_same_class(c) for c in real)
    response = target.send(token=wrong)
    target.run.profile.answer("wrong-token", response)
    check_response(response, TOKEN_REFUSED)


def _same_class(char: str) -> str:
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        if char in alphabet:
            return secrets.choice(alphabet)
    return char
