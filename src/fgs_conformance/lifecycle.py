"""The lifecycle operations over raw HTTP, for the checks: every answer observed and held to its shape.

The suite's own runs (`own`) are what the lifecycle checks follow; they are invoked on demand, each
one charged to the budget, and shared by the checks so that a full run pays for them once.
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

from fgs._lifecycle import QUERY_TIME
from fgs._signing import canonical_query
from fgs.models import InvocationStatus
from fgs_conformance.expectations import ContractBreak, check_accepted, observe
from fgs_conformance.shapes import check_shape, route
from fgs_conformance.signing import credential_headers
from fgs_conformance.target import Target

STATUSES = tuple(status.value for status in InvocationStatus)
TERMINAL = frozenset(status.value for status in InvocationStatus if status.terminal)
MAX_PAGES = 60  # a listing that needs more pages than this is cut short, and the check says so
POLL = 0.1  # the first pause between queries about one run; each next one is longer, up to POLL_MAX
POLL_MAX = 2.0
# A closed window ends this long after the last own run was accepted (by the server's Date header).
WINDOW_SLACK = timedelta(seconds=2)
Record = dict[str, Any]


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
        if token == "valid":
            headers.update(credential_headers(settings, method, url, headers, content or b""))
        elif token is not None:
            headers["X-Auth-Token"] = token
        response = self.target.client.request(method, url, content=content, headers=headers)
        observe(response, [headers["X-Auth-Token"]] if "X-Auth-Token" in headers else [])
        return response, check_shape(operation_id, response)

    def query(self, **params: str) -> Record:
        response, body = self.call("listAsyncInvocations", params=params)
        if response.status_code != 200:
            raise ContractBreak(f"the query {params} was answered {response.status_code}: {response.text[:200]!r}")
        answer: Record = body
        for record in answer["invocations"]:
            parse_time(record.get("start_time")), parse_time(record.get("end_time"))
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
        """A closed time window around every own run: nothing accepted after it was opened can enter it."""
        if not self.own:
            raise RuntimeError("no own runs to frame")
        times = sorted(self.accepted.values())
        wait = self._last_local + WINDOW_SLACK.total_seconds() + 0.5 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return {
            "query_begin_time": query_time(times[0] - timedelta(minutes=2)),
            "query_end_time": query_time(times[-1] + WINDOW_SLACK),
        }

    def pages(self, limit: int, **params: str) -> list[Record]:
        """Every record the query lists, following next_marker page by page, in the order given."""
        listed: list[Record] = []
        marker: str | None = None
        for _ in range(MAX_PAGES):
            answer = self.query(**params, limit=str(limit), **({} if marker is None else {"marker": marker}))
            page, following = answer["invocations"], answer.get("next_marker")
            if len(page) > limit:
                raise ContractBreak(f"a page asked for at most {limit} records and held {len(page)}")
            listed += page
            if following is None or not page or following == answer.get("count"):
                return listed
            if str(following) == marker:
                raise ContractBreak(f"next_marker {following} repeats the marker asked for: the pages never end")
            marker = str(following)
        raise ContractBreak(f"the listing did not end within {MAX_PAGES} pages of {limit}")


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
