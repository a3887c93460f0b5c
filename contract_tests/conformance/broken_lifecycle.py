"""Broken endpoints for the lifecycle checks: the mock (an emulator of the lifecycle) with one defect each."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from contract_tests.conformance.lifecycle_endpoint import PENDING_TIME_NOT_A_TIME
from contract_tests.mock.mutants import Edit, Exchange, Known, Variant, answer_with

FINAL = ("SUCCESS", "FAIL", "DISCARD")


def _operation(exchange: Exchange) -> tuple[str, str]:
    return exchange.scope["method"], exchange.scope["raw_path"].decode().split("?")[0].rsplit("/", 1)[-1]


def _on_page(change: Callable[[dict[str, Any], dict[str, str]], None]) -> Edit:
    """An edit of every page the query answers; `change` gets the page and the query asked."""

    def edit(exchange: Exchange, known: Known) -> None:
        if _operation(exchange) == ("GET", "async-invocations") and exchange.status == 200:
            page = json.loads(exchange.answer)
            change(page, dict(parse_qsl(exchange.scope["query_string"].decode())))
            exchange.answer = json.dumps(page).encode()

    return edit


def _loses_runs(page: dict[str, Any], query: dict[str, str]) -> None:
    page["invocations"], page["count"] = [], 0
    page.pop("next_marker", None)


def _status_outside_the_enum(page: dict[str, Any], query: dict[str, str]) -> None:
    for record in page["invocations"]:
        record["status"] = {"SUCCESS": "SUCCEEDED"}.get(record["status"], record["status"])


class FinalStatusChanges:
    """Reports a run's final status once, then RUNNING again: as if a retry reopened an ended run."""

    def __init__(self) -> None:
        self.ended: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, page: dict[str, Any], query: dict[str, str]) -> None:
        with self._lock:
            for record in page["invocations"]:
                if record["request_id"] in self.ended:
                    record["status"] = "RUNNING"
                elif record["status"] in FINAL:
                    self.ended.add(record["request_id"])


def _ends_before_it_starts(page: dict[str, Any], query: dict[str, str]) -> None:
    for record in page["invocations"]:
        if record.get("start_time") and record.get("end_time"):
            start = datetime.fromisoformat(record["start_time"])
            record["end_time"] = (start - timedelta(minutes=1)).isoformat(sep=" ")


class RepeatsAcrossPages:
    """Starts each later page with the previous page's last record, in place of its own first: off by one."""

    def __init__(self) -> None:
        self.last: dict[str, dict[str, Any]] = {}  # by the next_marker that leads past it
        self._lock = threading.Lock()

    def __call__(self, page: dict[str, Any], query: dict[str, str]) -> None:
        with self._lock:
            previous = self.last.get(query.get("marker", ""))
            if previous is not None and page["invocations"]:
                page["invocations"][0] = previous
            if page.get("next_marker") is not None and page["invocations"]:
                self.last[str(page["next_marker"])] = page["invocations"][-1]


def _skips_across_pages(page: dict[str, Any], query: dict[str, str]) -> None:
    if query.get("marker", "0") != "0":
        page["invocations"] = page["invocations"][1:]


def _final_end_time_empty(page: dict[str, Any], query: dict[str, str]) -> None:
    """The pages' "" for "no value", misapplied to a run that has ended."""
    for record in page["invocations"]:
        if record["status"] in FINAL:
            record["end_time"] = ""


def _error_code_empty(page: dict[str, Any], query: dict[str, str]) -> None:
    """The same convention, on a field the page types as an integer: "" for no error."""
    for record in page["invocations"]:
        if not record.get("error_code"):
            record["error_code"] = ""


def _lists_under_another_key(page: dict[str, Any], query: dict[str, str]) -> None:
    page["items"] = page.pop("invocations")


def _crashes_on_a_known_run(exchange: Exchange, known: Known) -> None:
    """Fails only when request_id names a real run: random ids never find it, the spec's links do."""
    if _operation(exchange) == ("GET", "async-invocations") and exchange.status == 200:
        query = dict(parse_qsl(exchange.scope["query_string"].decode()))
        if "request_id" in query and json.loads(exchange.answer)["invocations"]:
            answer_with(exchange, 500, b"Internal Server Error", b"text/plain")


def _ignores(*names: str) -> Edit:
    def edit(exchange: Exchange, known: Known) -> None:
        if _operation(exchange) == ("GET", "async-invocations"):
            kept = [(k, v) for k, v in parse_qsl(exchange.scope["query_string"].decode()) if k not in names]
            exchange.scope["query_string"] = urlencode(kept).encode()

    return edit


def _cancel_accepts_anything(exchange: Exchange, known: Known) -> None:
    if _operation(exchange) == ("POST", "cancel") and exchange.status == 400:
        answer_with(exchange, 200, b"null")


def _config_does_not_round_trip(exchange: Exchange, known: Known) -> None:
    if _operation(exchange) == ("GET", "async-invoke-config") and exchange.status == 200:
        exchange.answer = json.dumps({**json.loads(exchange.answer), "max_async_retry_attempts": 3}).encode()


def delete_leaves_the_config(exchange: Exchange, known: Known) -> None:
    if _operation(exchange) == ("DELETE", "async-invoke-config"):
        exchange.status, exchange.answer, exchange.headers = 204, b"", []


BROKEN_LIFECYCLE = [
    Variant("loses-accepted-runs", after=_on_page(_loses_runs), caught_by=("lifecycle",)),
    Variant("status-outside-the-enum", after=_on_page(_status_outside_the_enum), caught_by=("lifecycle",)),
    Variant("final-status-changes", after=_on_page(FinalStatusChanges()), caught_by=("lifecycle",)),
    Variant("ends-before-it-starts", after=_on_page(_ends_before_it_starts), caught_by=("lifecycle",)),
    Variant("cancel-accepts-anything", after=_cancel_accepts_anything, caught_by=("lifecycle",)),
    Variant("pages-repeat-a-record", after=_on_page(RepeatsAcrossPages()), caught_by=("pagination",)),
    Variant("pages-skip-a-record", after=_on_page(_skips_across_pages), caught_by=("pagination",)),
    Variant("ignores-the-status-filter", before=_ignores("status"), caught_by=("filters",)),
    Variant("ignores-the-time-window", before=_ignores("query_begin_time", "query_end_time"), caught_by=("filters",)),
    Variant("lists-under-another-key", after=_on_page(_lists_under_another_key), caught_by=("lifecycle-shapes",)),
    Variant("final-end-time-empty", after=_on_page(_final_end_time_empty), caught_by=("lifecycle-shapes",)),
    Variant("error-code-empty", after=_on_page(_error_code_empty), caught_by=("lifecycle-shapes",)),
    PENDING_TIME_NOT_A_TIME,
    Variant("config-does-not-round-trip", after=_config_does_not_round_trip, caught_by=("async-config",)),
    Variant("delete-leaves-the-config", before=delete_leaves_the_config, caught_by=("async-config",)),
    Variant("crashes-querying-a-known-run", after=_crashes_on_a_known_run, caught_by=("stateful",)),
]
