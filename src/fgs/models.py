"""Typed views of the lifecycle answers: an invocation's record, and a function's async configuration.

Built from the generated models or from plain decoded JSON. Anything the spec does not allow raises
fgs.ProtocolError, never a bare KeyError, TypeError or ValueError; a configuration that the service
would refuse raises fgs.InvalidRequestError before it is sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from fgs.errors import InvalidRequestError, ProtocolError

# The spec's Timestamp pattern: the three shapes the pages show, "T" or space, optional offset.
TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
# Ranges: what a request may set (the request table), and what an answer may carry (the spec's wider reading).
REQUEST_RETRIES, ANSWER_RETRIES = range(0, 4), range(0, 9)
EVENT_AGE = range(1, 86401)


@runtime_checkable
class _Generated(Protocol):  # any model of fgs_client
    def to_dict(self) -> dict[str, Any]: ...


class InvocationStatus(StrEnum):
    WAIT = "WAIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    DISCARD = "DISCARD"

    @property
    def terminal(self) -> bool:
        """A final status: the run will not change any more."""
        return self in (InvocationStatus.SUCCESS, InvocationStatus.FAIL, InvocationStatus.DISCARD)


class DestinationKind(StrEnum):
    OBS = "OBS"
    SMN = "SMN"
    FUNCTIONGRAPH = "FunctionGraph"


def _object(data: object, what: str) -> Mapping[str, Any]:
    if isinstance(data, _Generated):
        data = data.to_dict()
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{what} is not a JSON object: {type(data).__name__}")
    return data


def _optional(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    # bool is an int to Python, never to JSON's reader.
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is int)):
        raise ProtocolError(f"{what}.{key} is not a {getattr(kind, '__name__', kind)}: {value!r}")
    return value


def _in_range(value: int | None, allowed: range, what: str) -> int | None:
    if value is not None and value not in allowed:
        raise ProtocolError(f"{what} is outside {allowed.start}..{allowed.stop - 1}: {value}")
    return value


def parse_timestamp(value: object, what: str = "timestamp") -> datetime | None:
    """A timezone-aware datetime; a time without an offset is UTC. None or "" mean no time yet."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        raise ProtocolError(f"{what} is not a documented timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:  # matches the shape, names no real time: month 13, hour 25
        raise ProtocolError(f"{what} is not a real time: {value!r}") from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One asynchronous run, as the query reports it."""

    request_id: str
    status: InvocationStatus
    error_code: int | None = None
    error_message: str | None = None  # None also when the service sent "", its way of saying "no value"
    start_time: datetime | None = None
    end_time: datetime | None = None

    @classmethod
    def from_dict(cls, data: object) -> Invocation:
        record = _object(data, "invocation")
        request_id = record.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise ProtocolError(f"invocation has no usable request_id: {request_id!r}")
        status = record.get("status")
        if not isinstance(status, str) or status not in InvocationStatus.__members__:
            raise ProtocolError(f"invocation {request_id} has an undocumented status: {status!r}")
        return cls(
            request_id=request_id,
            status=InvocationStatus(status),
            error_code=_optional(record, "error_code", int, "invocation"),
            error_message=_optional(record, "error_message", str, "invocation") or None,
            start_time=parse_timestamp(record.get("start_time"), "invocation.start_time"),
            end_time=parse_timestamp(record.get("end_time"), "invocation.end_time"),
        )


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a run's outcome is reported; params is the decoded JSON of the page's `param` string."""

    kind: DestinationKind | None = None
    params: Mapping[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: object, what: str = "destination") -> Destination:
        entry = _object(data, what)
        kind = entry.get("destination")
        if kind is not None and kind not in DestinationKind._value2member_map_:
            raise ProtocolError(f"{what}.destination is undocumented: {kind!r}")
        param = _optional(entry, "param", str, what)
        params = None
        if param is not None:
            try:
                params = json.loads(param)
            except ValueError as error:
                raise ProtocolError(f"{what}.param is not JSON") from error
            if not isinstance(params, dict):
                raise ProtocolError(f"{what}.param is not a JSON object")
        return cls(kind=DestinationKind(kind) if kind is not None else None, params=params)

    def to_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.kind is not None:
            out["destination"] = self.kind.value
        if self.params is not None:
            out["param"] = json.dumps(self.params, separators=(",", ":"))
        return out


@dataclass(frozen=True, slots=True)
class AsyncConfig:
    """A function's asynchronous-run settings. None means "not set": the service's default applies."""

    max_retry_attempts: int | None = None
    max_event_age_seconds: int | None = None
    on_success: Destination | None = None
    on_failure: Destination | None = None
    enable_async_status_log: bool | None = None
    # Set by the service in its answers; never sent.
    function_urn: str | None = None
    created_time: datetime | None = None
    last_modified: datetime | None = None

    @classmethod
    def from_dict(cls, data: object) -> AsyncConfig:
        config = _object(data, "config")
        destinations = config.get("destination_config")
        routes = _object(destinations, "config.destination_config") if destinations is not None else {}
        return cls(
            max_retry_attempts=_in_range(
                _optional(config, "max_async_retry_attempts", int, "config"), ANSWER_RETRIES, "retries"
            ),
            max_event_age_seconds=_in_range(
                _optional(config, "max_async_event_age_in_seconds", int, "config"), EVENT_AGE, "event age"
            ),
            on_success=_destination(routes, "on_success"),
            on_failure=_destination(routes, "on_failure"),
            enable_async_status_log=_optional(config, "enable_async_status_log", bool, "config"),
            function_urn=_optional(config, "func_urn", str, "config"),
            created_time=parse_timestamp(config.get("created_time"), "config.created_time"),
            last_modified=parse_timestamp(config.get("last_modified"), "config.last_modified"),
        )

    def to_request(self) -> dict[str, Any]:
        """The PUT body, with only what is set; refuses what the request table does not allow."""
        for value, allowed, what in (
            (self.max_retry_attempts, REQUEST_RETRIES, "max_retry_attempts"),
            (self.max_event_age_seconds, EVENT_AGE, "max_event_age_seconds"),
        ):
            if value is not None and (isinstance(value, bool) or value not in allowed):
                raise InvalidRequestError(f"{what} must be within {allowed.start}..{allowed.stop - 1}: {value!r}")
        body: dict[str, Any] = {}
        if self.max_retry_attempts is not None:
            body["max_async_retry_attempts"] = self.max_retry_attempts
        if self.max_event_age_seconds is not None:
            body["max_async_event_age_in_seconds"] = self.max_event_age_seconds
        pairs = (("on_success", self.on_success), ("on_failure", self.on_failure))
        routes = {name: route.to_dict() for name, route in pairs if route is not None}
        if routes:
            body["destination_config"] = routes
        if self.enable_async_status_log is not None:
            body["enable_async_status_log"] = self.enable_async_status_log
        return body


def _destination(routes: Mapping[str, Any], name: str) -> Destination | None:
    entry = routes.get(name)
    return None if entry is None else Destination.from_dict(entry, f"config.destination_config.{name}")
