"""The lifecycle operations over raw HTTP, for the checks: every answer observed and held to its shape.

The suite's own runs (`own`) are what the lifecycle checks follow; they are invoked on demand, each
one charged to the budget, and shared by the checks so that a full run pays for them once.

A live function may be busy: thousands of other runs in any window, more arriving as the suite looks.
So the checks frame their own runs (by request_id, or a closed window from the first of them), and a
listing that runs out of pages or time while every page still brings new runs stops there: the check
judges what it saw and, if that cannot settle it, is skipped as too busy. A listing that makes no
progress (a marker that does not move, a cycle, a page of nothing new) is a contract break.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from fgs._lifecycle import QUERY_TIME
from fgs._signing import canonical_query
from fgs.models import InvocationStatus
from fgs.retry import parse_retry_after
from fgs_conformance.expectations import ContractBreak, check_accepted
from fgs_conformance.report import TOO_BUSY
from fgs_conformance.shapes import check_shape, route
from fgs_conformance.target import Target, send

STATUSES = tuple(status.value for status in InvocationStatus)
TERMINAL = frozenset(status.value for status in InvocationStatus if status.terminal)
# A listing may take the lifecycle timeout, and at least this long, before it is cut short as too busy.
SCAN_SECONDS = 30.0
# Waits for a 429: what Retry-After asks, else 0.5 s doubling; never more than RETRY_AFTER_CAP at once,
# whatever a hostile Retry-After says. Waiting stops when the query's time budget would run out.
RETRY_AFTER_CAP = 10.0
BACKOFF = 0.5
POLL = 0.1  # the first pause between queries about one run; each next one is longer, up to POLL_MAX
POLL_MAX = 2.0
# A closed window ends this long after the last own run was accepted (by the server's Date header).
WINDOW_SLACK = timedelta(seconds=2)
Record = dict[str, Any]
CONFIG_ANSWERS = frozenset({"updateFunctionAsyncInvokeConfig", "showFunctionAsyncInvokeConfig"})


def parse_time(value: object) -> datetime | None:
    """A record's time in any documented form; without an offset it is UTC. None when there is none yet."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ContractBreak(f"a time is {type(value).__name__}, not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ContractBreak(f"{value!r} is not a date and time in a documented form") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def query_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(QUERY_TIME)


@dataclass(repr=False)
class Lifecycle:
    target: Target
    own: list[str] = field(default_factory=list)  # request_ids the lifecycle checks invoked, oldest first
    accepted: dict[str, datetime] = field(default_factory=dict)  # by the server's clock, to the second
    _last_local: float = 0.0  # when the newest own run was accepted, by this process's monotonic clock

    def _send(
        self,
        operation_id: str,
        *,
        params: dict[str, str] | None,
        body: object = None,
        token: str | None = "valid",
        project_id: str | None = None,
        function_urn: str | None = None,
    ) -> httpx.Response:
        settings = self.target.settings
        method, template = route(operation_id)
        path = template.format(
            project_id=quote(project_id or settings.project_id, safe=""),
            function_urn=quote(function_urn or settings.function_urn, safe=""),
        )
        # The query as a signature covers it: pairs sorted and encoded, and sent exactly so.
        query = canonical_query(params.items()) if params else ""
        url = f"{self.target.base_url}{path}" + (f"?{query}" if query else "")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        content = None if body is None else json.dumps(body).encode()
        return send(self.target.client, settings, method, url, headers=headers, content=content, token=token)

    def call(
        self,
        operation_id: str,
        *,
        params: dict[str, str] | None = None,
        body: object = None,
        token: str | None = "valid",
        project_id: str | None = None,
        function_urn: str | None = None,
    ) -> tuple[httpx.Response, Any]:
        """One request to a lifecycle operation; the answer must be documented. Returns it with its body.

        token="valid" sends the run's credential (the token, or a signature); another string is sent as
        X-Auth-Token; None sends no credential.
        """
        response = self._send(
            operation_id, params=params, body=body, token=token, project_id=project_id, function_urn=function_urn
        )
        shaped = check_shape(operation_id, response)
        if operation_id in CONFIG_ANSWERS and response.status_code == 200:
            self.target.run.profile.config_answer(shaped)
        return response, shaped

    def query(self, **params: str) -> Record:
        """One page of the query, waiting out 429s for at most the lifecycle timeout."""
        try:
            return self._page(params, time.monotonic() + self.target.settings.lifecycle_timeout)
        except TooBusy as busy:
            pytest.skip(str(busy))

    def _page(self, params: dict[str, str], deadline: float) -> Record:
        """One page of the query. A 429 is waited out (Retry-After, capped) until `deadline` (monotonic);
        past it, TooBusy."""
        backoff = BACKOFF
        while (response := self._send("listAsyncInvocations", params=params)).status_code == 429:
            asked = parse_retry_after(response.headers.get("retry-after"))
            wait = min(RETRY_AFTER_CAP, backoff if asked is None else asked)
            backoff = min(RETRY_AFTER_CAP, backoff * 2)
            if time.monotonic() + wait > deadline:
                raise TooBusy(f"{TOO_BUSY}: the query was answered 429 (Too Many Requests) for its whole time budget")
            time.sleep(wait)
        body = check_shape("listAsyncInvocations", response)
        if response.status_code != 200:
            raise ContractBreak(f"the query {params} was answered {response.status_code}: {response.text[:200]!r}")
        answer: Record = body
        for record in answer["invocations"]:
            parse_time(record.get("start_time")), parse_time(record.get("end_time"))
            self.target.run.profile.run_record(record)
        return answer

    def find(self, request_id: str) -> Record | None:
        records = self.query(request_id=request_id)["invocations"]
        strays = [r["request_id"] for r in records if r["request_id"] != request_id]
        if strays:
            raise ContractBreak(f"the query for request_id {request_id} also listed {strays[:3]}")
        return records[0] if records else None

    def invoke(self) -> str:
        response = self.target.send(content=b'{"fgs-conformance": "lifecycle"}', costs_invocation=True)
        request_id = check_accepted(response)
        self.own.append(request_id)
        self.accepted[request_id] = _server_time(response)
        self._last_local = time.monotonic()
        return request_id

    def runs(self, count: int) -> list[str]:
        """At least `count` own runs, invoking as many more as that takes."""
        while len(self.own) < count:
            self.invoke()
        return self.own[:count]

    def appeared(self, request_id: str) -> Record:
        """The run's record, once the query lists it; a contract break if that takes too long."""
        timeout = self.target.settings.lifecycle_timeout
        deadline = time.monotonic() + timeout
        pauses = _pauses()
        while (record := self.find(request_id)) is None:
            if time.monotonic() > deadline:
                raise ContractBreak(f"accepted request_id {request_id} was not listed within {timeout:g} s")
            time.sleep(next(pauses))
        return record

    def history(self, request_id: str) -> tuple[list[str], Record]:
        """The statuses one run went through, polled until it ended or the timeout passed; its last record."""
        record = self.appeared(request_id)
        seen = [record["status"]]
        deadline = time.monotonic() + self.target.settings.lifecycle_timeout
        pauses = _pauses()
        while seen[-1] not in TERMINAL and time.monotonic() < deadline:
            time.sleep(next(pauses))
            found = self.find(request_id)
            if found is None:
                raise ContractBreak(f"request_id {request_id} was listed {seen[-1]}, then no longer listed")
            record = found
            seen.append(record["status"])
        return seen, record

    def window(self) -> dict[str, str]:
        """A closed time window around every own run: nothing accepted after it was opened can enter it.

        It opens WINDOW_SLACK before the first own run: the server's Date is whole seconds, and may lag.
        """
        if not self.own:
            raise RuntimeError("no own runs to frame")
        times = sorted(self.accepted.values())
        wait = self._last_local + WINDOW_SLACK.total_seconds() + 0.5 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        # From the first own run, not earlier: on a busy function, every second before it adds other runs.
        return {
            "query_begin_time": query_time(times[0] - WINDOW_SLACK),
            "query_end_time": query_time(times[-1] + WINDOW_SLACK),
        }

    def pages(self, limit: int, **params: str) -> Listing:
        """The records the query lists, following next_marker page by page, in the order given.

        Stops at the run's page limit or time budget (the listing is then cut short, and says why), and
        raises ContractBreak for a listing that makes no progress.
        """
        settings = self.target.settings
        started = time.monotonic()
        deadline = started + max(settings.lifecycle_timeout, SCAN_SECONDS)
        listed: list[Record] = []
        seen: set[str] = set()
        earlier: set[tuple[str, ...]] = set()  # each page's request_ids, in order
        asked = {"0"}  # the documented default marker: the first page
        # Runs move between statuses as the pages are read: under a status filter, enough runs entering
        # it can push a page's worth of listed ones past the marker. Only a page seen before is no progress.
        moving = "status" in params
        marker: str | None = None
        for number in range(1, settings.max_pages + 1):
            if number > 1 and time.monotonic() > deadline:
                took = f"{time.monotonic() - started:.0f} s"
                return Listing(listed, f"{TOO_BUSY}: {_pages(number - 1)} of {limit} runs in {took}, still listing")
            try:
                at_marker = {} if marker is None else {"marker": marker}
                answer = self._page({**params, "limit": str(limit), **at_marker}, deadline)
            except TooBusy as busy:
                return Listing(listed, str(busy))
            page, following = answer["invocations"], answer.get("next_marker")
            if len(page) > limit:
                raise ContractBreak(f"a page asked for at most {limit} records and held {len(page)}")
            ids = tuple(str(r["request_id"]) for r in page)
            fresh = set(ids) - seen
            at = marker or "0"
            if page and not fresh and (not moving or ids in earlier):
                raise ContractBreak(
                    f"the page at marker {at} holds only runs listed before: the pages make no progress"
                )
            seen |= fresh
            earlier.add(ids)
            listed += page
            if following is None or not page or following == answer.get("count"):
                return Listing(listed)
            if str(following) == at:
                raise ContractBreak(f"next_marker {following} repeats the marker asked for: the pages never end")
            if str(following) in asked:
                raise ContractBreak(
                    f"next_marker {following} (after marker {at}) leads back to a page already listed: "
                    "the pages go round in a cycle"
                )
            marker = str(following)
            asked.add(marker)
        return Listing(listed, f"{TOO_BUSY}: {_pages(settings.max_pages)} of {limit} runs, still listing")


class TooBusy(Exception):
    """The endpoint was too busy for a check to conclude within the run's budget: a skip, never a failure."""


@dataclass
class Listing:
    records: list[Record]
    cut_short: str | None = None  # why the listing stopped before its last page; None when it reached it

    def complete(self) -> list[Record]:
        """Every record; a check that needs them all is skipped when the listing was cut short."""
        if self.cut_short is not None:
            pytest.skip(self.cut_short)
        return self.records


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _pauses() -> Iterator[float]:
    # Short at first, for an endpoint that answers at once; then a live endpoint is not queried in a tight loop.
    pause = POLL
    while True:
        yield pause
        pause = min(pause * 1.5, POLL_MAX)


def _server_time(response: httpx.Response) -> datetime:
    # The window is in the server's clock, which may differ from this machine's.
    try:
        return parsedate_to_datetime(response.headers["date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC).replace(microsecond=0)
