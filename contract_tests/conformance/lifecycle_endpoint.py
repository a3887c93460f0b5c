"""Other correct dialects of the lifecycle: the mock invokes, this layer answers the five lifecycle operations.

Written from the pages (and spec/openapi.yaml's decided readings) apart from the mock, it takes the
other reading wherever the pages allow two: 64 is limit's largest value (65 to 500 get 400), times
have a space and an offset, next_marker is an offset and equals count on the last page, error_code
and error_message are null until a run ends. Each run is WAIT for 0.1 s, RUNNING for 0.1 s, then SUCCESS.

The empty-string dialect writes a value that is not there as the pages' example does, "": the times a
pending run does not have yet and every error_message without an error; times in the rows' own form.
Its runs wait and run longer, so that the suite sees them pending. One more build of the same layer is
broken: it writes a pending run's missing times as a string of the right shape that names no time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from contract_tests.mock.mutants import Exchange, Known, Variant, answer_with, wrap
from fgs_mock import Backend, create_app
from fgs_mock.server import ASGIApp

STEP = 0.1
QUERY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
LIMIT = re.compile(r"^(0|[1-9][0-9]?|[1-4][0-9]{2}|500)$")
TIME_PARAMETERS = ("query_begin_time", "query_end_time")
STATUSES = ("WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD")
WRITABLE = {
    "max_async_event_age_in_seconds": (1, 86400),
    "max_async_retry_attempts": (0, 3),
}


def _error(exchange: Exchange, status: int, code: str, message: str) -> None:
    answer_with(exchange, status, json.dumps({"error_code": code, "error_msg": message}).encode())


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def _rows_stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Readings:
    """How a dialect writes a run's record: what stands for a value that is not there, and times."""

    step: float = STEP  # how long a run waits, then runs
    no_time: str | None = None  # a pending run's start_time and end_time; None leaves them out
    no_message: str | None = None  # error_message without an error
    success_code: int | None = None  # a successful run's error_code
    stamp: Callable[[float], str] = _stamp


@dataclass
class Emulation:
    known: Known
    readings: Readings = field(default_factory=Readings)
    pending_served: int = 0  # records served with `readings.no_time` standing for a time, to show it was seen
    accepted: dict[str, float] = field(default_factory=dict)  # request_id -> when, oldest first
    cancelled: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, exchange: Exchange, known: Known) -> None:
        if exchange.status == 202:
            with self.lock:
                self.accepted[json.loads(exchange.answer)["request_id"]] = time.time()

    def serve(self, exchange: Exchange, known: Known) -> None:
        parts = exchange.scope["raw_path"].decode().split("?")[0].split("/")
        operation = (exchange.scope["method"], parts[-1]) if len(parts) == 7 else None
        handler = {
            ("GET", "async-invocations"): self._query,
            ("POST", "cancel"): self._cancel,
            ("PUT", "async-invoke-config"): self._put,
            ("GET", "async-invoke-config"): self._get,
            ("DELETE", "async-invoke-config"): self._delete,
        }.get(operation)  # type: ignore[arg-type]
        if handler is None:
            return  # the mock answers
        if exchange.header(b"x-auth-token") != known.token.encode():
            _error(exchange, 401, "FSS.0401", "Unauthorized access.")
        elif parts[2] != known.project_id or unquote(parts[5]) != known.function_urn:
            _error(exchange, 404, "FSS.1051", "The function does not exist.")
        else:
            with self.lock:
                handler(exchange)

    def _record(self, request_id: str, now: float) -> dict[str, Any]:
        accepted, step, stamp = self.accepted[request_id], self.readings.step, self.readings.stamp
        age = now - accepted
        record: dict[str, Any] = {
            "request_id": request_id,
            "status": "WAIT",
            "error_code": None,
            "error_message": self.readings.no_message,
        }
        ended = self.cancelled.get(request_id, accepted + 2 * step)
        if age >= step:
            record |= {"status": "RUNNING", "start_time": stamp(accepted + step)}
        if now >= ended:
            failed = request_id in self.cancelled
            record |= {"status": "FAIL" if failed else "SUCCESS", "end_time": stamp(max(ended, accepted + step))}
            if failed:
                record |= {"error_code": 4208, "error_message": "function invocation canceled"}
            else:
                record["error_code"] = self.readings.success_code
            record.setdefault("start_time", record["end_time"])
        elif self.readings.no_time is not None:
            record = {"start_time": self.readings.no_time, **record, "end_time": self.readings.no_time}
            self.pending_served += 1
        return record

    def _query(self, exchange: Exchange) -> None:
        query = dict(parse_qsl(exchange.scope["query_string"].decode(), keep_blank_values=True))
        now = time.time()
        limit, marker = query.get("limit", "100"), query.get("marker", "0")
        bad = (
            not LIMIT.match(limit)
            or ("limit" in query and int(limit) > 64)
            or not marker.isdigit()
            or query.get("status", "WAIT") not in STATUSES
            or len(query.get("request_id", "")) > 64
            or not all(
                QUERY_TIME.match(query.get(k, "2000-01-01T00:00:00")) for k in ("query_begin_time", "query_end_time")
            )
        )
        if bad:
            _error(exchange, 400, "FSS.0400", "Invalid parameter.")
            return
        try:
            begin = _seconds(query.get("query_begin_time"), now - 3600)
            end = _seconds(query.get("query_end_time"), now)
        except ValueError:  # the pattern lets through dates that do not exist
            _error(exchange, 400, "FSS.0400", "Invalid parameter.")
            return
        matching = []
        for request_id, accepted in reversed(self.accepted.items()):
            record = self._record(request_id, now)
            wanted = (query.get("request_id", request_id), query.get("status", record["status"]))
            if begin <= int(accepted) <= end and wanted == (request_id, record["status"]):
                matching.append(record)
        start = int(marker)
        page = matching[start : start + int(limit)]
        answer = {"invocations": page, "count": len(matching), "next_marker": min(start + len(page), len(matching))}
        answer_with(exchange, 200, json.dumps(answer).encode())

    def _cancel(self, exchange: Exchange) -> None:
        body = _json(exchange.body)
        request_id = str(body.get("request_id")) if isinstance(body, dict) else ""
        now = time.time()
        if request_id not in self.accepted or self._record(request_id, now)["status"] not in ("WAIT", "RUNNING"):
            _error(exchange, 400, "FSS.0400", "Invalid RequestId")
        else:
            self.cancelled[request_id] = now
            answer_with(exchange, 200, b"null")

    def _put(self, exchange: Exchange) -> None:
        body = _json(exchange.body)
        if not isinstance(body, dict):
            _error(exchange, 400, "FSS.0400", "Invalid parameter.")
            return
        valid = all(
            isinstance(body.get(k, low), int) and low <= body.get(k, low) <= high for k, (low, high) in WRITABLE.items()
        )
        if not valid or not isinstance(body.get("enable_async_status_log", True), bool):
            _error(exchange, 400, "FSS.0400", "Invalid parameter.")
            return
        now = _stamp(time.time())
        created = self.config["created_time"] if self.config else now
        self.config = {"func_urn": self.known.function_urn, **body, "created_time": created, "last_modified": now}
        answer_with(exchange, 200, json.dumps(self.config).encode())

    def _get(self, exchange: Exchange) -> None:
        if self.config is None:
            _error(exchange, 404, "FSS.0404", "The specified resource was not found.")
        else:
            answer_with(exchange, 200, json.dumps(self.config).encode())

    def _delete(self, exchange: Exchange) -> None:
        if self.config is None:
            _error(exchange, 404, "FSS.0404", "The specified resource was not found.")
        else:
            self.config = None
            exchange.status, exchange.answer, exchange.headers = 204, b"", []


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _seconds(text: str | None, default: float) -> float:
    return default if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class OnLifecycle(Variant):
    """A variant whose edits wrap an endpoint that serves the lifecycle, with its own state per build."""

    readings: Readings = field(default_factory=Readings)
    # Each build's emulation, newest last: a test can ask what the suite was shown.
    built: list[Emulation] = field(default_factory=list, compare=False, hash=False)

    def build(self, known: Known) -> tuple[ASGIApp, Backend]:
        backend = Backend.with_defaults(token=known.token, project_id=known.project_id, function_urn=known.function_urn)
        emulation = Emulation(known, self.readings)
        self.built.append(emulation)
        app = wrap(create_app(backend, self.dialect), known, emulation.serve, emulation.record)
        if self.before is not None or self.after is not None:
            app = wrap(app, known, self.before, self.after)
        return app, backend


OTHER_LIFECYCLE_READINGS = OnLifecycle("other-lifecycle-readings")
# The pages' own convention; 0.4 s in each pending status, so the suite's first look finds the run pending.
EMPTY_STRING_READINGS = OnLifecycle(
    "empty-string-readings",
    readings=Readings(step=0.4, no_time="", no_message="", success_code=0, stamp=_rows_stamp),
)
# Broken: a pending time that matches the spec's pattern but names no real time.
PENDING_TIME_NOT_A_TIME = OnLifecycle(
    "pending-time-not-a-time",
    readings=Readings(step=0.4, no_time="0000-00-00T00:00:00", stamp=_rows_stamp),
    caught_by=("lifecycle-shapes",),
)
