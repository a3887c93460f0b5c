"""A token reaches its own project only: not through another project_id, nor through another URN."""

from __future__ import annotations

from fgs_conformance.expectations import DOCUMENTED_4XX, check_response
from fgs_conformance.target import Target, another_project_id, urn_in_project


def test_another_project_in_the_path_is_refused(target: Target) -> None:
    other = another_project_id(target.settings.project_id)
    response = target.send(project_id=other, function_urn=urn_in_project(target.settings.function_urn, other))
    target.run.profile.answer("other-project-in-path", response)
    check_response(response, DOCUMENTED_4XX)


def test_another_project_in_the_path_with_own_urn_is_refused(target: Target) -> None:
    other = another_project_id(target.settings.project_id)
    check_response(target.send(project_id=other), DOCUMENTED_4XX)


def test_urn_naming_another_project_is_refused(target: Target) -> None:
    other = another_project_id(target.settings.project_id)
    response = target.send(function_urn=urn_in_project(target.settings.function_urn, other))
    target.run.profile.answer("other-project-in-urn", response)
    check_response(response, DOCUMENTED_4XX)
