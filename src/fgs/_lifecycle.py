"""The lifecycle operations without I/O: query, cancel and the async config, built and read for both clients.

Each builder returns a Call: the request (from the generated operation, with the client's headers and
token), whether it may be sent again after any failure, and how to read its success answer. Pager
follows the query's marker pagination and Waiter decides wait()'s polling; the clients only send and sleep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fgs._body import Answer
from fgs._checks import check_segment
from fgs._core import _REQUEST_ID, Core, Outcome, Request
from fgs.errors import InvalidRequestError, InvocationNotFoundError, ProtocolError, WaitTimeoutError
from fgs.models import AsyncConfig, Invocation, InvocationStatus

T = TypeVar("T")
# The query's time format: "YYYY-MM-DD'T'HH:mm:ss", UTC.
QUERY_TIME = "%Y-%m-%dT%H:%M:%S"
# 64 fits both readings of the page's limit (at most 500 by its text, 64 by its constraint rows).
DEFAULT_PAGE_SIZE = 64
MAX_PAGE_SIZE = 500
POLL_GROWTH, POLL_MAX = 1.5, 5.0


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request, and how to read the answer that the page documents as its success."""

    request: Request
    idempotent: bool
    success: int
    read: Callable[[bytes], T]


@dataclass(frozen=True, slots=True)
class Page:
    invocations: tuple[Invocation, ...]
    count: int | None
    next_marker: int | None


def finish(core: Core, call: Call[T], outcome: Outcome, attempts: int, budget: float) -> T:
    """The result of the last outcome, or its FgsError; called when no retry follows."""
    if not isinstance(outcome, Answer):
        raise core.transport_error(outcome, attempts, budget) from None
    if outcome.status != call.success or outcome.problem is not None:
        raise core.refusal(outcome, attempts)
    try:
        return call.read(outcome.body)
    except ProtocolError as exc:
        # Not chained: the reader's text may quote the answer, which is shown redacted or not at all.
        raise ProtocolError(
            f"HTTP {outcome.status} answer: {core.redact(exc.message)}",
            status=outcome.status,
            body=core.redact(outcome.body.decode("utf-8", "replace")).encode("utf-8"),
            attempts=attempts,
        ) from None


def query(
    core: Core,
    function_urn: str,
    *,
    request_id: str | None = None,
    marker: int = 0,
    limit: int = DEFAULT_PAGE_SIZE,
    status: InvocationStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Call[Page]:
    options: dict[str, Any] = {"marker": str(marker), "limit": str(limit)}
    if request_id is not None:
        options["request_id"] = check_request_id(request_id)
    if status is not None:
        options["status"] = status.value
    if since is not None:
        options["query_begin_time"] = query_time(since, "since")
    if until is not None:
        options["query_end_time"] = query_time(until, "until")
    from fgs_client.api.invocation import list_async_invocations  # here: see _core on import cost

    kwargs = list_async_invocations._get_kwargs(core.project_id, _urn(function_urn), **options)
    return Call(_request(core, kwargs), idempotent=True, success=200, read=_read_page)


def lookup(core: Core, function_urn: str, request_id: str) -> Call[Page]:
    """The query for one run; read its answer with pick()."""
    return query(core, function_urn, request_id=check_request_id(request_id))


def cancel(core: Core, function_urn: str, request_id: str) -> Call[None]:
    from fgs_client.api.invocation import cancel_async_invocation
    from fgs_client.models import CancelRequest

    body = CancelRequest(request_id=check_request_id(request_id))
    kwargs = cancel_async_invocation._get_kwargs(core.project_id, _urn(function_urn), body=body)
    # Not idempotent: the page says a stop also ends the function's other concurrent requests, so a
    # second stop sent after the first may have landed could end runs that started in between.
    return Call(_request(core, kwargs), idempotent=False, success=200, read=_read_nothing)


def get_config(core: Core, function_urn: str) -> Call[AsyncConfig]:
    from fgs_client.api.async_config import show_function_async_invoke_config

    kwargs = show_function_async_invoke_config._get_kwargs(core.project_id, _urn(function_urn))
    return Call(_request(core, kwargs), idempotent=True, success=200, read=_read_config)


def put_config(core: Core, function_urn: str, config: AsyncConfig) -> Call[AsyncConfig]:
    if not isinstance(config, AsyncConfig):
        raise InvalidRequestError(f"config must be an fgs.AsyncConfig, not {type(config).__name__}")
    from fgs_client.api.async_config import update_function_async_invoke_config
    from fgs_client.models import AsyncInvokeConfigRequest

    body = AsyncInvokeConfigRequest.from_dict(config.to_request())
    kwargs = update_function_async_invoke_config._get_kwargs(core.project_id, _urn(function_urn), body=body)
    # A PUT sets the same settings however often it lands.
    return Call(_request(core, kwargs), idempotent=True, success=200, read=_read_config)


def delete_config(core: Core, function_urn: str) -> Call[None]:
    from fgs_client.api.async_config import delete_function_async_invoke_config

    kwargs = delete_function_async_invoke_config._get_kwargs(core.project_id, _urn(function_urn))
    return Call(_request(core, kwargs), idempotent=True, success=204, read=_read_nothing)


def pick(core: Core, page: Page, request_id: str) -> Invocation:
    """The run asked for; a query that answered without it means the id is unknown (or not listed yet)."""
    for invocation in page.invocations:
        if invocation.request_id == request_id:
            return invocation
    raise InvocationNotFoundError(
        f"no asynchronous invocation {core.redact(request_id)!r} in the query's answer", status=200
    )


@dataclass
class Pager:
    """Where the next page starts, and which runs were already yielded."""

    core: Core
    function_urn: str
    status: InvocationStatus | None
    since: datetime | None
    until: datetime | None
    page_size: int
    marker: int | None = 0  # None once the last page was read
    seen: set[str] = field(default_factory=set)
    stuck: ProtocolError | None = None

    @classmethod
    def start(
        cls,
        core: Core,
        function_urn: str,
        status: InvocationStatus | str | None,
        since: datetime | None,
        until: datetime | None,
        page_size: int,
    ) -> Pager:
        """Checks every argument now, so a bad one fails at the call and not at the first iteration."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRequestError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, not {page_size!r}")
        checked = check_status(status)
        if since is not None and until is not None and query_time(since, "since") > query_time(until, "until"):
            raise InvalidRequestError("since must not be later than until")
        pager = cls(core, function_urn, checked, since, until, page_size)
        pager.call()  # builds the first request, which checks the URN and the times
        return pager

    def call(self) -> Call[Page] | None:
        """The next page's request; None after the last page."""
        if self.stuck is not None:
            raise self.stuck
        if self.marker is None:
            return None
        return query(
            self.core,
            self.function_urn,
            marker=self.marker,
            limit=self.page_size,
            status=self.status,
            since=self.since,
            until=self.until,
        )

    def take(self, page: Page) -> list[Invocation]:
        """The page's runs not yielded before (a run listed since shifts the offsets), and where to go next."""
        fresh = [i for i in page.invocations if i.request_id not in self.seen]
        self.seen.update(i.request_id for i in fresh)
        following = page.next_marker
        if following is None or not page.invocations or (page.count is not None and following >= page.count):
            self.marker = None
        elif self.marker is not None and following <= self.marker:
            # Following it would ask for the same page again, forever. Raised at the next call, so
            # that this page's runs are still yielded.
            self.stuck = ProtocolError(
                f"the query's next_marker {following} does not advance past marker {self.marker}", status=200
            )
        else:
            self.marker = following
        return fresh


@dataclass
class Waiter:
    """wait()'s schedule: poll, then wait `poll` seconds, growing by half each time up to POLL_MAX."""

    core: Core
    request_id: str
    timeout: float
    started: float
    interval: float
    last: Invocation | None = None
    polls: int = 0

    @classmethod
    def start(cls, core: Core, request_id: str, timeout: float, poll: float, now: float) -> Waiter:
        check_request_id(request_id)
        for name, value in (("timeout", timeout), ("poll", poll)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise InvalidRequestError(f"{name} must be a finite number of seconds above 0, not {value!r}")
        return cls(core, request_id, float(timeout), now, float(poll))

    def ended(self, invocation: Invocation | None) -> Invocation | None:
        """Records one poll's answer (None: not listed yet); returns it when the run has ended."""
        self.polls += 1
        if invocation is None:
            return None
        self.last = invocation
        return invocation if invocation.status.terminal else None

    def next_delay(self, now: float) -> float | None:
        """Seconds until the next poll, or None when the time is up. The last poll falls on the deadline."""
        left = self.started + self.timeout - now
        if left <= 0:
            return None
        delay = min(self.interval, left)
        self.interval = min(self.interval * POLL_GROWTH, max(POLL_MAX, self.interval))
        return delay

    def expired(self) -> WaitTimeoutError:
        status = self.last.status.value if self.last is not None else "none, the query has not listed it"
        return WaitTimeoutError(
            f"asynchronous invocation {self.core.redact(self.request_id)!r} did not end within "
            f"{self.timeout:g} s ({self.polls} polls); last status: {status}",
            invocation=self.last,
            attempts=self.polls,
        )


def check_request_id(request_id: object) -> str:
    # Never echoed: a wrong value here could be anything the caller holds, a secret included.
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        raise InvalidRequestError("request_id must be 1 to 64 visible ASCII characters, as the query page allows")
    return request_id


def check_status(status: object) -> InvocationStatus | None:
    if status is None or isinstance(status, InvocationStatus):
        return status
    if isinstance(status, str) and status in InvocationStatus.__members__:
        return InvocationStatus(status)
    raise InvalidRequestError(f"status must be one of {', '.join(InvocationStatus)}, not {status!r}")


def query_time(moment: object, name: str) -> str:
    """The page's UTC format. A naive datetime is refused: Python's naive times are usually local."""
    if not isinstance(moment, datetime):
        raise InvalidRequestError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequestError(f"{name} must be timezone-aware (e.g. datetime.now(UTC)), not naive")
    return moment.astimezone(UTC).strftime(QUERY_TIME)


def _urn(function_urn: str) -> str:
    return check_segment("function_urn", function_urn)


def _request(core: Core, kwargs: dict[str, Any]) -> Request:
    """The request a generated operation describes, sent and signed like every other."""
    # Every page lists Content-Type as mandatory, GET and DELETE included.
    return core.from_generated({**kwargs, "headers": {**kwargs.get("headers", {}), "Content-Type": "application/json"}})


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise ProtocolError("the body is not JSON") from None


def _count(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ProtocolError(f"{key} is not a whole number: {value!r}")
    return value


def _read_page(body: bytes) -> Page:
    data = _decode(body)
    if not isinstance(data, dict) or not isinstance(data.get("invocations"), list):
        raise ProtocolError("the query's answer is not an object with an invocations list")
    runs = tuple(Invocation.from_dict(run) for run in data["invocations"])
    return Page(runs, _count(data, "count"), _count(data, "next_marker"))


def _read_config(body: bytes) -> AsyncConfig:
    return AsyncConfig.from_dict(_decode(body))


def _read_nothing(body: bytes) -> None:
    """Cancel answers JSON null and DELETE nothing; whatever else comes is not worth failing a done call for."""
