"""The suite's requests that show a dialect, as one call against any base URL: no pytest, no report.

`battery()` runs the checks' own test functions (so the very requests the suite sends), a subset that
covers every field of a profile, and returns what each answer looked like, with the profile they
recorded. Comparing two endpoints' batteries shows whether they answer alike, request for request.
Live, it keeps the suite's rules: config changes and cancels only when the settings allow them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest

from fgs_conformance import context
from fgs_conformance.checks import (
    acceptance,
    async_config,
    auth,
    bodies,
    existence,
    lifecycle,
    lifecycle_shapes,
    methods,
    pagination,
    scoping,
    signatures,
    urn_space,
)
from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import Lifecycle
from fgs_conformance.profile import id_format
from fgs_conformance.settings import Settings
from fgs_conformance.target import Target


@dataclass(frozen=True)
class Seen:
    """One answer, as far as a dialect decides it: not its ids, times or messages."""

    test: str
    status: int
    error_code: str | None
    keys: tuple[str, ...]  # of an error body
    content_type: str | None
    allow: str | None
    x_request_id: str | None  # the header's format ("uuid", "hex32", "other"), or None without one

    @classmethod
    def of(cls, test: str, response: httpx.Response) -> Seen:
        try:
            body = json.loads(response.content) if response.content else None
        except (ValueError, RecursionError):
            body = None
        fields = body if isinstance(body, dict) and response.status_code >= 400 else {}
        header = response.headers.get("x-request-id")
        return cls(
            test,
            response.status_code,
            fields.get("error_code"),
            tuple(sorted(fields)),
            response.headers.get("content-type"),
            response.headers.get("allow"),
            None if header is None else id_format(header) or "other",
        )


Step = tuple[str, Callable[..., None], dict[str, Any]]


def _each(test: Callable[..., None], name: str, values: Any) -> list[Step]:
    return [(f"{test.__name__}[{i}]", test, {name: value}) for i, value in enumerate(values)]


def _steps() -> list[Step]:
    """In the suite's order; each test with the arguments pytest would give it."""
    plain: list[Callable[..., None]] = [
        acceptance.test_the_documented_example_request_is_accepted,
        acceptance.test_json_with_charset_parameter_is_accepted,
        auth.test_missing_token_is_refused,
        auth.test_valid_looking_but_wrong_token_is_refused,
        signatures.test_a_signature_over_another_body_is_refused,
        scoping.test_another_project_in_the_path_is_refused,
        scoping.test_another_project_in_the_path_with_own_urn_is_refused,
        scoping.test_urn_naming_another_project_is_refused,
        existence.test_missing_function_is_404,
        existence.test_missing_function_in_full_form_is_404,
        urn_space.test_unknown_version_of_the_function_is_refused,
        urn_space.test_unknown_alias_of_the_function_is_refused,
    ]
    steps: list[Step] = [(test.__name__, test, {}) for test in plain]
    malformed = ["a:b:c:d:e", "urn:fss:eu-de:p:function:default", "::"]
    steps += _each(existence.test_malformed_urn_is_refused, "urn", malformed)
    steps += _each(methods.test_undeclared_method_is_refused, "method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
    steps.append(("test_unknown_route_is_refused", methods.test_unknown_route_is_refused, {}))
    steps.append(("test_missing_body_is_refused", bodies.test_missing_body_is_refused, {}))
    steps += _each(bodies.test_invalid_json_is_refused, "content", bodies.INVALID_JSON.values())
    steps += _each(bodies.test_json_that_is_not_an_object_is_refused, "content", bodies.NOT_OBJECTS.values())
    steps += [
        (test.__name__, test, {})
        for test in (
            bodies.test_large_object_is_accepted_or_refused_cleanly,
            bodies.test_oversized_object_is_accepted_or_refused_cleanly,
            bodies.test_deeply_nested_object_is_accepted_or_refused_cleanly,
            bodies.test_very_deeply_nested_object_never_causes_a_server_error,
            bodies.test_body_with_wrong_media_type_is_refused_or_tolerated,
        )
    ]
    return steps


def _lifecycle_steps() -> list[Step]:
    plain: list[Callable[..., None]] = [
        lifecycle.test_an_accepted_request_id_is_listed_within_the_timeout,
        lifecycle.test_cancelling_an_unknown_request_id_is_refused_with_400,
        lifecycle.test_cancelling_a_finished_run_changes_nothing,
        pagination.test_pages_list_the_filtered_set_once_each,
        pagination.test_limit_is_read_as_the_page_allows,
        lifecycle_shapes.test_a_query_with_every_filter_answers_a_documented_page,
        lifecycle_shapes.test_a_cancel_without_request_id_is_refused,
    ]
    steps: list[Step] = [(test.__name__, test, {}) for test in plain]
    for test in (
        lifecycle_shapes.test_a_missing_function_is_404_on_every_operation,
        lifecycle_shapes.test_no_token_is_refused_on_every_operation,
    ):
        for operation_id, body in lifecycle_shapes.ALL:
            steps.append((f"{test.__name__}[{operation_id}]", test, {"operation_id": operation_id, "body": body}))
    return steps


def _config_steps() -> list[Step]:
    tests = (async_config.test_a_put_config_reads_back_as_stored, async_config.test_a_deleted_config_reads_as_404)
    return [(test.__name__, test, {}) for test in tests]


@contextmanager
def _current(run: context.Run) -> Iterator[None]:
    previous = context.swap(run)
    try:
        yield
    finally:
        context.swap(previous)


def battery(base_url: str, settings: Settings) -> tuple[list[Seen], dict[str, Any]]:
    """Every answer the battery got against `base_url`, in order, and the profile it recorded.

    A check that fails or skips here is not reported: the battery shows answers, it does not judge them.
    """
    run = context.Run(settings=settings, base_url=base_url)
    run.exchanges = []
    with _current(run), httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0)) as client:
        target = Target(run=run, client=client)
        follow = Lifecycle(target)
        for name, test, arguments in _steps():
            _run_step(run, name, partial(test, target, **arguments))
        for name, test, arguments in _lifecycle_steps():
            _run_step(run, name, partial(test, follow, **arguments))
        # Live, the config changes only when the settings allow it, as in the suite.
        if not settings.live or settings.allow_config_changes:
            for name, test, _ in _config_steps():
                with suppress(ContractBreak), async_config.restoring(follow):
                    _run_step(run, name, partial(test, follow))
    secrets = [s for s in run.secrets if s]
    seen = [Seen.of(test, response) for test, response in run.exchanges]
    return seen, run.profile.profile("battery", secrets)


def _run_step(run: context.Run, name: str, step: Callable[[], None]) -> None:
    run.recorder.current = name
    with suppress(ContractBreak, AssertionError, pytest.skip.Exception):
        step()


def collapsed(seen: list[Seen]) -> list[Seen]:
    """Repeats of the same answer to the same test in a row made one: polling a run asks as often as it takes."""
    return [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
