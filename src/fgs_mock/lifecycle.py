"""The five lifecycle operations over HTTP: query, cancel, and PUT/GET/DELETE of the async config.

`responses.py` has already checked the token, the project and the function; this module reads the
query or body, asks the store and the engine, and renders answers as the pages (and spec/openapi.yaml,
which records the choices where the pages disagree) say.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fgs_mock.answers import Answer, Invalid, error, integer, json_object
from fgs_mock.dialects import Dialect, builtin
from fgs_mock.engine import DEFAULT_EVENT_AGE, DEFAULT_RETRIES
from fgs_mock.models import Backend
from fgs_mock.store import STATUSES, Query, Run, Status
from fgs_mock.urn import FunctionRef

# An error answer: status, code, message, and the body's keys (empty: the dialect's usual ones).
ErrorAnswer = Callable[[int, str, str, tuple[str, ...]], Answer]

METHODS: dict[str, tuple[str, ...]] = {
    "async-invocations": ("GET",),
    "cancel": ("POST",),
    "async-invoke-config": ("PUT", "GET", "DELETE"),
}
DEFAULT_LIMIT = 100
WINDOW = 3600.0  # the query's default window: the last hour
_LIMIT = re.compile(r"0|[1-9][0-9]?|[1-4][0-9]{2}|500")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_MARKER = re.compile(r"[0-9]{1,64}")  # the page's 64 characters; past the last record, a page is empty
_LAST_OFFSET = 2**63 - 1  # SQLite's largest integer
DESTINATIONS = ("OBS", "SMN", "FunctionGraph")
NO_CONFIG = "The function has no asynchronous invocation config."


def _time(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S")


_MISSING: dict[str, object] = {"null": None, "empty": ""}


def _run(run: Run, dialect: Dialect) -> dict[str, Any]:
    record: dict[str, Any] = {
        "request_id": dialect.external_id(run.request_id),
        "status": run.status,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "start_time": _time(run.start_time),
        "end_time": _time(run.end_time),
    }
    # A run that has not ended writes its missing values as the dialect does: null, "" or not at all.
    for name, way in dialect.pending.items():
        if record[name] is None:
            if way == "absent":
                del record[name]
            else:
                record[name] = _MISSING[way]
    return record


def _query_params(query_string: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise Invalid("Invalid parameter.") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise Invalid("Each query parameter may appear once.")
    return params


def _epoch(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    if not _TIME.fullmatch(text):
        raise Invalid(f"{name} must be YYYY-MM-DDTHH:mm:ss (UTC).")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise Invalid(f"{name} is not a date.") from None


def _plain_error(status: int, code: str, message: str, keys: tuple[str, ...] = ()) -> Answer:
    return error(status, code, message)


class Lifecycle:
    def __init__(
        self,
        backend: Backend,
        region: str = "eu-de",
        dialect: Dialect | None = None,
        errors: ErrorAnswer = _plain_error,
    ) -> None:
        self.backend = backend
        self.region = region
        self.dialect = dialect if dialect is not None else builtin("documented")
        self._error = errors

    def handle(self, route: str, method: str, function: FunctionRef, query: bytes, body: bytes | None) -> Answer:
        try:
            if route == "async-invocations":
                return self._list(function, query)
            if route == "cancel":
                return self._cancel(function, body)
            if method == "PUT":
                return self._put_config(function, body)
            if method == "GET":
                return self._show_config(function)
            self.backend.invocations.delete_config(function.short_urn)
            return 204, b"", []
        except Invalid as refused:
            return self._error(400, "FSS.0400", str(refused), ())

    def _list(self, function: FunctionRef, query_string: bytes) -> Answer:
        params = _query_params(query_string)
        request_id = params.get("request_id") or None
        if request_id is not None and len(request_id) > 64:
            raise Invalid("request_id is at most 64 characters.")
        # Absent, the limit is the default, within the dialect's maximum.
        limit = params.get("limit", str(min(DEFAULT_LIMIT, self.dialect.max_limit)))
        if limit.isdigit() and int(limit) > self.dialect.max_limit:
            above = self.dialect.answers["limit-above-maximum"]
            if not above.accepts:
                message = f"limit is at most {self.dialect.max_limit}."
                return self._error(above.status, above.error_code or "FSS.0400", message, above.keys)
            limit = str(min(int(limit), 500))  # a dialect that serves a page caps it
        if not _LIMIT.fullmatch(limit):
            raise Invalid("limit must be an integer within [0, 500].")
        marker = params.get("marker") or "0"
        if not _MARKER.fullmatch(marker):
            raise Invalid("marker must be a next_marker from a previous answer.")
        status = params.get("status") or None
        if status is not None and status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}.")
        now = self.backend.engine.clock()
        until = _epoch(params.get("query_end_time"), "query_end_time")
        since = _epoch(params.get("query_begin_time"), "query_begin_time")
        page = self.backend.invocations.query(
            Query(
                function.short_urn,
                request_id=None if request_id is None else self.dialect.internal_id(request_id),
                status=_as_status(status),
                since=since if since is not None else (until if until is not None else now) - WINDOW,
                until=until,
                limit=int(limit) or min(DEFAULT_LIMIT, self.dialect.max_limit),  # 0 reads as absent
                marker=min(int(marker), _LAST_OFFSET),
                newest_first=self.dialect.newest_first,
            )
        )
        answer: dict[str, Any] = {"invocations": [_run(r, self.dialect) for r in page.runs], "count": page.count}
        if page.next_marker is not None:
            answer["next_marker"] = page.next_marker
        return 200, json.dumps(answer).encode(), []

    def _cancel(self, function: FunctionRef, body: bytes | None) -> Answer:
        args = json_object(body)
        request_id, kind = args.get("request_id"), args.get("type")
        if kind is not None and kind not in ("force", "recursive"):
            raise Invalid("type must be force or recursive.")
        if not isinstance(request_id, str):
            return self._error(400, "FSS.0400", "Invalid RequestId", ())
        request_id = self.dialect.internal_id(request_id)
        finished = self.dialect.answers["cancel-finished"]
        if not finished.accepts and self._ended(function, request_id):
            message = "The invocation has already ended."
            return self._error(finished.status, finished.error_code or "FSS.0400", message, finished.keys)
        if not self.backend.engine.cancel(function.short_urn, request_id):
            return self._error(400, "FSS.0400", "Invalid RequestId", ())
        return 200, b"null", []

    def _ended(self, function: FunctionRef, request_id: str) -> bool:
        page = self.backend.invocations.query(Query(function.short_urn, request_id=request_id, limit=1))
        return bool(page.runs) and page.runs[0].status in ("SUCCESS", "FAIL", "DISCARD")

    def _put_config(self, function: FunctionRef, body: bytes | None) -> Answer:
        config = validate_config(json_object(body))
        now = self.backend.engine.clock()
        stored = self.backend.invocations.put_config(function.short_urn, json.dumps(config), now)
        return 200, self._render(function, *stored), []

    def _show_config(self, function: FunctionRef) -> Answer:
        stored = self.backend.invocations.config(function.short_urn)
        if stored is None:
            return self._error(404, "FSS.0404", NO_CONFIG, ())
        return 200, self._render(function, *stored), []

    def _render(self, function: FunctionRef, doc: str, created: float, modified: float) -> bytes:
        answer = {
            "func_urn": function.full_urn(self.region),
            **json.loads(doc),
            # Documented: the two shapes of the page's own example.
            "created_time": datetime.fromtimestamp(created, UTC).strftime(self.dialect.time_formats["created_time"]),
            "last_modified": datetime.fromtimestamp(modified, UTC).strftime(self.dialect.time_formats["last_modified"]),
        }
        return json.dumps(answer).encode()


def _as_status(value: str | None) -> Status | None:
    return next((s for s in STATUSES if s == value), None)


def _object(args: dict[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    # No field of the request table is nullable: null is refused like any other wrong type.
    if key not in args:
        return None
    value = args[key]
    if not isinstance(value, dict):
        raise Invalid(f"{where}{key} must be an object.")
    return value


def _destination(value: dict[str, Any], key: str) -> dict[str, str]:
    # Both fields are optional on the page; what is given is stored as given.
    stored: dict[str, str] = {}
    if "destination" in value:
        if value["destination"] not in DESTINATIONS:
            raise Invalid(f"{key}.destination must be one of {', '.join(DESTINATIONS)}.")
        stored["destination"] = value["destination"]
    if "param" in value:
        if not isinstance(value["param"], str):
            raise Invalid(f"{key}.param must be a JSON document in a string.")
        stored["param"] = value["param"]
    return stored


def validate_config(args: dict[str, Any]) -> dict[str, Any]:
    """The config to store, with the request table's defaults; keys the page does not list are dropped."""
    config: dict[str, Any] = {
        "max_async_event_age_in_seconds": integer(args, "max_async_event_age_in_seconds", DEFAULT_EVENT_AGE, 1, 86400),
        "max_async_retry_attempts": integer(args, "max_async_retry_attempts", DEFAULT_RETRIES, 0, 3),
        "enable_async_status_log": args.get("enable_async_status_log", False),
    }
    if type(config["enable_async_status_log"]) is not bool:
        raise Invalid("enable_async_status_log must be a boolean.")
    destinations = _object(args, "destination_config")
    if destinations is not None:
        config["destination_config"] = {
            key: _destination(target, key)
            for key in ("on_success", "on_failure")
            if (target := _object(destinations, key, "destination_config.")) is not None
        }
    return config
