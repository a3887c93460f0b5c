"""Near-miss credentials: a token one edit away from the valid one, or the valid one in the wrong place, is refused.

Refused calls cost nothing; a broken endpoint that accepts one starts a run, which the budget counts.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest

from fgs_conformance.expectations import TOKEN_REFUSED, check_response
from fgs_conformance.report import NOT_APPLICABLE
from fgs_conformance.target import Target


def _other_char(char: str) -> str:
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        if char in alphabet:
            return alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    return "a" if char != "a" else "b"


def _replace_at(index: Callable[[str], int]) -> Callable[[str], str]:
    def edit(token: str) -> str:
        i = index(token)
        return token[:i] + _other_char(token[i]) + token[i + 1 :]

    return edit


NEAR_MISSES: dict[str, Callable[[str], str]] = {
    "first-char": _replace_at(lambda t: 0),
    "middle-char": _replace_at(lambda t: len(t) // 2),
    "last-char": _replace_at(lambda t: len(t) - 1),
    "case-swapped": str.swapcase,
    "last-char-dropped": lambda t: t[:-1],
    "half": lambda t: t[: len(t) // 2],
    "suffix-added": lambda t: t + "x",
}


@pytest.mark.parametrize("edit", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_near_miss_token_is_refused(target: Target, edit: Callable[[str], str]) -> None:
    real = target.token_or_skip()
    near = edit(real)
    if near == real:
        pytest.skip(f"{NOT_APPLICABLE}: this token has no characters the edit changes")
    target.run.secrets.add(near)  # it is nearly the secret: never printed either
    check_response(target.send(token=near), TOKEN_REFUSED | {400})


# (headers, query) carrying the valid token somewhere it does not authenticate.
PLACES: dict[str, Callable[[str], tuple[dict[str, str], dict[str, str]]]] = {
    "authorization-bearer": lambda t: ({"Authorization": f"Bearer {t}"}, {}),
    "authorization-plain": lambda t: ({"Authorization": t}, {}),
    "x-subject-token": lambda t: ({"X-Subject-Token": t}, {}),
    "x-auth-token-lookalike": lambda t: ({"X-Auth-Tokens": t}, {}),
    "query-x-auth-token": lambda t: ({}, {"X-Auth-Token": t}),
    "query-token": lambda t: ({}, {"token": t}),
}


@pytest.mark.parametrize("place", PLACES.values(), ids=PLACES.keys())
def test_valid_token_elsewhere_than_x_auth_token_is_refused(
    target: Target, place: Callable[[str], tuple[dict[str, str], dict[str, str]]]
) -> None:
    headers, query = place(target.token_or_skip())
    check_response(target.send(token=None, extra_headers=headers, params=query), TOKEN_REFUSED)
