"""A scripted FunctionGraph for the lifecycle operations: an ASGI app that answers as the five pages say.

Served over real loopback sockets with fgs_mock.serve_in_thread, so both clients meet it as they would
the service. Runs are listed newest first; `marker` is an offset, `next_marker` where the next page
starts (left out, or equal to `count`, on the last page: both endings are documented readings).
Hooks script a misbehaving server: queued answers (401, 500, 503, ...), a slow or dropped answer, a
next_marker that does not advance, a status outside the enum, a run listed only after a few queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest

import fgs
from contract_tests.support.identities import PROJECT, URN
from fgs_mock import serve_in_thread
from fgs_mock.responses import Receive, Scope, Send

TOKEN = "LIFECYCLE-FAKE-SECRET-5e8f2a"
BASE_TIME = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)
QUERY_TIME = "%Y-%m-%dT%H:%M:%S"


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    operation: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Fake:
    runs: list[dict[str, Any]] = field(default_factory=list)  # newest first, as the service lists them
    ending: str = "omit"  # the last page: "omit" next_marker, or set it to "count"
    with_count: bool = True
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Hooks: each queued item is used by one request, in order.
    answers: deque[tuple[int, Any]] = field(default_factory=deque)  # (status, JSON body or raw bytes)
    delays: deque[float] = field(default_factory=deque)  # seconds before answering
    drops: int = 0  # requests answered with headers and half a body, then the connection closed
    stuck_marker: bool = False  # next_marker repeats the marker asked for
    statuses: dict[str, deque[str]] = field(default_factory=dict)  # per request_id, one status per query
    hidden: dict[str, int] = field(default_factory=dict)  # per request_id, queries before it is listed
    insert_after_first_page: list[dict[str, Any]] = field(default_factory=list)  # arrivals shifting offsets
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_runs(self, count: int, status: str = "SUCCESS", start: int = 0) -> list[str]:
        """`count` runs a minute apart, the newest first; returns their request_ids newest first."""
        new = [run(f"req-{n:04d}", status, BASE_TIME + timedelta(minutes=n)) for n in range(start, start + count)]
        self.runs[:0] = reversed(new)
        return [r["request_id"] for r in reversed(new)]

    def of(self, operation: str) -> list[Seen]:
        return [s for s in self.seen if s.operation == operation]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        # Split before decoding: an encoded "/" in the URN stays inside its segment.
        parts = [unquote(part) for part in scope["raw_path"].decode("ascii").split("?")[0].split("/")]
        operation = parts[-1] if len(parts) == 7 else "?"
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        with self._lock:
            self.seen.append(Seen(scope["method"], operation, query, headers, body))
            delay = self.delays.popleft() if self.delays else 0.0
            drop = self.drops > 0
            self.drops -= drop
            queued = self.answers.popleft() if self.answers else None
        if delay:
            await asyncio.sleep(delay)
        if drop:
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
            await send({"type": "http.response.body", "body": b'{"invoc', "more_body": True})
            raise ConnectionAbortedError("scripted drop")  # uvicorn closes the connection mid-body
        if queued is not None:
            status, answer = queued
        elif headers.get("x-auth-token") != TOKEN:
            status, answer = 401, error("FSS.0401", "invalid token")
        elif parts[:5] != ["", "v2", PROJECT, "fgs", "functions"] or len(parts) != 7 or parts[5] != URN:
            status, answer = 404, error("FSS.0404", "can not find function")
        else:
            status, answer = self._answer(scope["method"], operation, query, body)
        await _send(send, status, answer)

    def _answer(self, method: str, operation: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self._lock:
            if (method, operation) == ("GET", "async-invocations"):
                return 200, self._page(query)
            if (method, operation) == ("POST", "cancel"):
                return self._cancel(json.loads(body))
            if operation == "async-invoke-config":
                return self._config(method, body)
        return 405, error("FSS.0405", "method not allowed")

    def _page(self, query: dict[str, str]) -> dict[str, Any]:
        if self.insert_after_first_page and query.get("marker", "0") != "0":
            self.runs[:0] = self.insert_after_first_page
            self.insert_after_first_page = []
        matching = [r for r in self.runs if _matches(r, query) and self._listed(r["request_id"], query)]
        marker, limit = int(query.get("marker", "0")), int(query.get("limit", "100"))
        page = [self._current(r) for r in matching[marker : marker + limit]]
        answer: dict[str, Any] = {"invocations": page}
        if self.with_count:
            answer["count"] = len(matching)
        following = marker if self.stuck_marker else marker + len(page)
        if following < len(matching) or self.stuck_marker:
            answer["next_marker"] = following
        elif self.ending == "count":
            answer["next_marker"] = len(matching)
        return answer

    def _listed(self, request_id: str, query: dict[str, str]) -> bool:
        left = self.hidden.get(request_id, 0)
        if left and query.get("request_id") == request_id:
            self.hidden[request_id] = left - 1
        return left == 0

    def _current(self, record: dict[str, Any]) -> dict[str, Any]:
        script = self.statuses.get(record["request_id"])
        if script:
            record["status"] = script.popleft() if len(script) > 1 else script[0]
        return dict(record)

    def _cancel(self, body: Any) -> tuple[int, Any]:
        request_id = body.get("request_id") if isinstance(body, dict) else None
        for record in self.runs:
            if record["request_id"] == request_id and record["status"] in ("WAIT", "RUNNING"):
                record.update(status="FAIL", error_code=4208, error_message="function invocation canceled")
                return 200, None
        return 400, error("FSS.0400", "Invalid RequestId")

    def _config(self, method: str, body: bytes) -> tuple[int, Any]:
        if method == "PUT":
            stored = {"func_urn": URN, **json.loads(body)}
            stored |= {"created_time": "2021-03-04T14:50:02+08:00", "last_modified": "2021-03-04 14:50:02"}
            self.configs[URN] = stored
            return 200, stored
        if URN not in self.configs:
            return 404, error("FSS.0404", "can not find async config")
        if method == "GET":
            return 200, self.configs[URN]
        if method == "DELETE":
            del self.configs[URN]
            return 204, b""
        return 405, error("FSS.0405", "method not allowed")


def run(request_id: str, status: str, start: datetime, **extra: Any) -> dict[str, Any]:
    """A record shaped like the query page's example."""
    ended = status in ("SUCCESS", "FAIL", "DISCARD")
    record = {
        "request_id": request_id,
        "status": status,
        "error_message": "",
        "start_time": start.strftime(QUERY_TIME),
        "end_time": (start + timedelta(seconds=2)).strftime(QUERY_TIME) if ended else "",
        "error_code": 0,
    }
    return record | extra


def error(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "error_msg": message}


def _matches(record: dict[str, Any], query: dict[str, str]) -> bool:
    start: str = record["start_time"]  # the page's format sorts as text
    return (
        query.get("request_id", record["request_id"]) == record["request_id"]
        and query.get("status", record["status"]) == record["status"]
        and query.get("query_begin_time", start) <= start <= query.get("query_end_time", start)
    )


async def _send(send: Send, status: int, answer: Any) -> None:
    body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    if not isinstance(answer, bytes):
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Stage:
    """One server for a module's tests: each test puts a fresh Fake on it (starting uvicorn takes a while)."""

    def __init__(self) -> None:
        self.fake = Fake()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fake(scope, receive, send)


@contextmanager
def staged() -> Iterator[tuple[Stage, str]]:
    stage = Stage()
    with serve_in_thread(stage) as url:
        yield stage, url


def fixtures(fake_name: str = "fake") -> tuple[Any, Any]:
    """A module's `stage` (one served Stage and its URL) and `fake` (a fresh Fake on it for each test).

    Used as `stage, fake = fixtures()` at a test module's top level; pytest knows the second by fake_name.
    """

    @pytest.fixture(scope="module")
    def stage() -> Iterator[tuple[Stage, str]]:
        with staged() as served:
            yield served

    @pytest.fixture(name=fake_name)
    def fake(stage: tuple[Stage, str]) -> Fake:
        stage[0].fake = Fake()
        return stage[0].fake

    return stage, fake


FAST_RETRY = fgs.RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002, max_total=5.0)


class Driver:
    """Calls one method on a fresh Client or AsyncClient (kind "sync" or "async") and returns the result.

    Iterators are drained into lists, so a test reads the same from both clients. Retry sleeps are
    recorded, not slept; wait()'s sleeps are recorded and slept.
    """

    def __init__(self, kind: str, url: str, **options: Any) -> None:
        self.kind, self.url = kind, url
        self.token = options.pop("token", TOKEN)
        self.options: dict[str, Any] = {"retry": FAST_RETRY, "timeout": 5.0} | options
        self.retry_sleeps: list[float] = []
        self.wait_sleeps: list[float] = []

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        token = self.token
        if self.kind == "sync":
            kwargs |= {"sleep": self._sleep} if method == "wait" else {}
            with fgs.Client(self.url, PROJECT, token, sleep=self.retry_sleeps.append, **self.options) as client:
                result = getattr(client, method)(*args, **kwargs)
                return list(result) if method == "list_invocations" else result
        return asyncio.run(self._async(token, method, *args, **kwargs))

    async def _async(self, token: str, method: str, *args: Any, **kwargs: Any) -> Any:
        async def record(seconds: float) -> None:
            self.retry_sleeps.append(seconds)

        async def sleep(seconds: float) -> None:
            self.wait_sleeps.append(seconds)
            await asyncio.sleep(seconds)

        kwargs |= {"sleep": sleep} if method == "wait" else {}
        async with fgs.AsyncClient(self.url, PROJECT, token, sleep=record, **self.options) as client:
            if method == "list_invocations":
                return [invocation async for invocation in client.list_invocations(*args, **kwargs)]
            return await getattr(client, method)(*args, **kwargs)

    def listed_before_error(self, *args: Any, **kwargs: Any) -> list[str]:
        """The request_ids that list_invocations yields before it raises an FgsError (or ends)."""
        yielded: list[str] = []
        if self.kind == "sync":
            with fgs.Client(self.url, PROJECT, self.token, **self.options) as client, contextlib.suppress(fgs.FgsError):
                yielded.extend(i.request_id for i in client.list_invocations(*args, **kwargs))
            return yielded

        async def drain() -> None:
            async with fgs.AsyncClient(self.url, PROJECT, self.token, **self.options) as client:
                with contextlib.suppress(fgs.FgsError):
                    async for invocation in client.list_invocations(*args, **kwargs):
                        yielded.append(invocation.request_id)

        asyncio.run(drain())
        return yielded

    def _sleep(self, seconds: float) -> None:
        self.wait_sleeps.append(seconds)
        time.sleep(seconds)
