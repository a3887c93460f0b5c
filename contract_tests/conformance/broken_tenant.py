"""Broken endpoints for the isolation check: the mock with one lifecycle operation that lets another project in.

Each one serves a request that names another project, in the path or in the URN, as the caller's own,
on one operation only; the invocation and the other operations stay correct. The rest serve it and then
refuse anyway, so that only what the refusal carries, or what it changed, gives them away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from contract_tests.mock.mutants import (
    Edit,
    Exchange,
    Known,
    Variant,
    answer_with,
    ignores_project_in_path,
    ignores_project_in_urn,
)
from fgs_mock import Backend
from fgs_mock.behaviour import Behaviour
from fgs_mock.server import ASGIApp

FORBIDDEN = b'{"error_code": "FSS.0403", "error_msg": "Forbidden"}'
ELSEWHERE = "contract_tests.elsewhere"  # set in the scope of a request served as the caller's own
OPERATIONS = {
    "query": ("GET", "async-invocations"),
    "cancel": ("POST", "cancel"),
    "config-read": ("GET", "async-invoke-config"),
    "config-put": ("PUT", "async-invoke-config"),
    "config-delete": ("DELETE", "async-invoke-config"),
}


def _is(exchange: Exchange, operation: str) -> bool:
    route = exchange.scope["raw_path"].decode().split("?")[0].rsplit("/", 1)[-1]
    return (exchange.scope["method"], route) == OPERATIONS[operation]


def _only_on(operation: str, edit: Edit) -> Edit:
    def on_one(exchange: Exchange, known: Known) -> None:
        if _is(exchange, operation):
            edit(exchange, known)

    return on_one


def _as_own(operation: str) -> Edit:
    """Serves the operation for the caller's project whatever project the path and the URN name."""

    def edit(exchange: Exchange, known: Known) -> None:
        if _is(exchange, operation):
            before = exchange.scope["raw_path"]
            ignores_project_in_path(exchange, known)
            ignores_project_in_urn(exchange, known)
            exchange.scope[ELSEWHERE] = exchange.scope["raw_path"] != before

    return edit


def _refused_after_all(exchange: Exchange, known: Known) -> None:
    if exchange.scope.get(ELSEWHERE):
        answer_with(exchange, 403, FORBIDDEN)


def _refusal_names_the_runs(exchange: Exchange, known: Known) -> None:
    if exchange.scope.get(ELSEWHERE) and exchange.status == 200:
        ids = [record["request_id"] for record in json.loads(exchange.answer)["invocations"]]
        message = f"Forbidden: the runs {', '.join(ids)} belong to another project"
        answer_with(exchange, 403, json.dumps({"error_code": "FSS.0403", "error_msg": message}).encode())


def _refusal_carries_the_config(exchange: Exchange, known: Known) -> None:
    if exchange.scope.get(ELSEWHERE) and exchange.status == 200:
        answer_with(exchange, 403, json.dumps({**json.loads(FORBIDDEN), **json.loads(exchange.answer)}).encode())


@dataclass(frozen=True)
class SlowRuns(Variant):
    """The known function runs for a second, as real ones do: a cancel sent after its 202 finds it going."""

    def build(self, known: Known) -> tuple[ASGIApp, Backend]:
        app, backend = super().build(known)
        backend.register_function(known.function_urn, behaviour=Behaviour.succeed(after=1.0))
        return app, backend


ISOLATION = ("isolation",)


def _ignoring(operation: str) -> list[Variant]:
    return [
        Variant(f"{operation}-ignores-project-in-{where}", before=_only_on(operation, edit), caught_by=ISOLATION)
        for where, edit in (("path", ignores_project_in_path), ("urn", ignores_project_in_urn))
    ]


BROKEN_TENANT = [
    *(variant for operation in OPERATIONS for variant in _ignoring(operation)),
    Variant("query-refusal-names-the-runs", _as_own("query"), _refusal_names_the_runs, caught_by=ISOLATION),
    Variant("config-read-refusal-carries-it", _as_own("config-read"), _refusal_carries_the_config, caught_by=ISOLATION),
    Variant("config-put-applies-then-refuses", _as_own("config-put"), _refused_after_all, caught_by=ISOLATION),
    Variant("config-delete-applies-then-refuses", _as_own("config-delete"), _refused_after_all, caught_by=ISOLATION),
    SlowRuns("cancel-applies-then-refuses", _as_own("cancel"), _refused_after_all, caught_by=ISOLATION),
]
# The tests of the isolation check each one must fail (readable names, parameters left off); it fails no other.
_TESTS = {
    "query": ("a query naming another project is refused",),
    "cancel": ("a cancel naming another project is refused", "cancels naming another project stop nothing"),
    "config-read": ("a config read naming another project is refused",),
    "config-put": ("a config put naming another project is refused and changes nothing",),
    "config-delete": ("a config delete naming another project is refused and changes nothing",),
}
MEANT_FOR = {
    **{v.name: _TESTS[next(op for op in OPERATIONS if v.name.startswith(f"{op}-"))] for v in BROKEN_TENANT},
    "cancel-applies-then-refuses": ("cancels naming another project stop nothing",),
}
