"""The whole URN space around the known function: absent versions, aliases and short forms are 4xx.

Odd project or URN values (non-ASCII, percent-encoded, very long) get a documented 4xx, never a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest

from fgs_conformance.expectations import DOCUMENTED_4XX, check_response
from fgs_conformance.target import Reference, Target, fresh_name

# 404 is what the docs give (FSS.1052 / FSS.1053); a gateway may turn the name away as invalid first.
ABSENT = DOCUMENTED_4XX


def _ref(target: Target) -> Reference:
    return Reference.parse(target.settings.function_urn)


def test_unknown_version_of_the_function_is_refused(target: Target) -> None:
    urn = _ref(target).full(target.settings.project_id, qualifier=fresh_name("v"))
    response = target.send(function_urn=urn)
    target.run.profile.answer("unknown-version", response)
    check_response(response, ABSENT)


def test_unknown_alias_of_the_function_is_refused(target: Target) -> None:
    urn = _ref(target).full(target.settings.project_id, qualifier="!" + fresh_name("alias"))
    response = target.send(function_urn=urn)
    target.run.profile.answer("unknown-alias", response)
    check_response(response, ABSENT)


def test_unknown_version_in_short_form_is_refused(target: Target) -> None:
    ref = _ref(target)
    urn = f"{target.settings.project_id}:{ref.package}:{ref.name}:{fresh_name('v')}"
    check_response(target.send(function_urn=urn), ABSENT)


# Every documented short form, naming a function that is absent (project, package, name[, qualifier]).
SHORT_FORMS: dict[str, Callable[[str, Reference, str], str]] = {
    "name": lambda project, ref, missing: missing,
    "package-name": lambda project, ref, missing: f"{ref.package}:{missing}",
    "project-package-name": lambda project, ref, missing: f"{project}:{ref.package}:{missing}",
    "project-package-name-version": lambda project, ref, missing: f"{project}:{ref.package}:{missing}:latest",
    "unknown-package": lambda project, ref, missing: f"{project}:{missing}:{ref.name}",
    "full-without-version": lambda project, ref, missing: ref.full(project, name=missing),
}


@pytest.mark.parametrize("form", SHORT_FORMS.values(), ids=SHORT_FORMS.keys())
def test_short_form_naming_an_absent_function_is_refused(
    target: Target, form: Callable[[str, Reference, str], str]
) -> None:
    urn = form(target.settings.project_id, _ref(target), fresh_name())
    check_response(target.send(function_urn=urn), ABSENT)


ODD_VALUES = {
    "non-ascii": "函数-ÿ-\U0001f680",
    "percent-encoded": "%2e%2e%2Fother%3A%25",
    "very-long": "a" * 4096,
    "control-characters": "a\tb\x7fc",
}


@pytest.mark.parametrize("value", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_urn_is_refused_cleanly(target: Target, value: str) -> None:
    check_response(target.send(function_urn=value), DOCUMENTED_4XX)


@pytest.mark.parametrize("value", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_project_id_is_refused_cleanly(target: Target, value: str) -> None:
    check_response(target.send(project_id=value), DOCUMENTED_4XX)


def test_doubly_encoded_path_values_are_refused_cleanly(target: Target) -> None:
    # The URN arrives encoded twice: a server that decodes twice would see, and run, the real function.
    check_response(target.send(function_urn=quote(target.settings.function_urn, safe="")), DOCUMENTED_4XX)
