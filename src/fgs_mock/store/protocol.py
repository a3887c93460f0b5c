"""What the mock keeps, as plain records, and the `InvocationStore` protocol every store implements.

The protocol is the whole of what the HTTP layer and the engine ask of state, so a store backed by a
server (PostgreSQL, Redis) is one new class. Every method is atomic on its own: the engine's claims and
settlements must not run a call twice when several processes share one store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from fgs_mock.store.signal import VersionCell
from fgs_mock.urn import FunctionRef

DEFAULT_MAX_INVOCATIONS = 10_000
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_PAGE = 1000
DISCARD_BATCH = 1000  # aged-out events discarded per engine pass, oldest first

Status = Literal["WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD"]
STATUSES: tuple[Status, ...] = ("WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD")
TERMINAL: frozenset[str] = frozenset({"SUCCESS", "FAIL", "DISCARD"})


class StoreUnavailable(Exception):
    """A write the store cannot make now (a full disk, say): nothing of it was kept; it may succeed later."""


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    project_id: str
    function: FunctionRef
    body: bytes = field(repr=False)
    accepted_at: float


@dataclass(frozen=True, slots=True)
class Run:
    """Where an accepted invocation is in its lifecycle. Times are epoch seconds, None until reached."""

    request_id: str
    function: str  # FunctionRef.short_urn
    status: Status
    accepted_at: float
    attempts: int = 0
    start_time: float | None = None
    end_time: float | None = None
    error_code: int | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Ending:
    """How runs end: as their function's behaviour says when their time is up (SUCCESS, or FAIL once no
    retry is left), or as the engine says when it cancels or discards them."""

    status: Status
    error_code: int
    error_message: str


@dataclass(frozen=True, slots=True)
class Instant:
    """A function whose runs end as they start (a canned behaviour that takes no time). Its calls may go
    into the store already ended, as the engine's pass would end them in the same transaction, while
    none of its runs waits or runs before them: at most `most` at once, none accepted before
    `accepted_after` (those are discarded, not run)."""

    ending: Ending
    most: int
    accepted_after: float


@dataclass(frozen=True, slots=True)
class Counters:
    accepted: int  # every invocation ever added, evicted or not
    retained: int
    evicted: int


@dataclass(frozen=True, slots=True)
class Page:
    invocations: list[Invocation]
    next_marker: str | None  # pass back as `marker` for the next page; None when this page is the last


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[Run]
    count: int  # every run that matches the filters, on any page
    next_marker: int | None  # the marker of the next page; None on the last page


@dataclass(frozen=True, slots=True)
class Query:
    function: str
    request_id: str | None = None
    status: Status | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 100
    # How many matching runs to skip, newest first. An offset, as the safe client and the page's `count`
    # read it: a run accepted meanwhile shifts the rest by one, so a page may repeat one, never skip one.
    marker: int = 0
    newest_first: bool = True  # the order of the listing (a dialect may list oldest first)


@dataclass(frozen=True, slots=True)
class Notification:
    request_id: str
    function: str
    status: Status
    destination: str  # OBS, SMN or FunctionGraph
    param: str
    at: float
    delivered_as: str | None = None  # a FunctionGraph destination: the request_id of the call it made
    record: str | None = None  # the JSON record the destination was sent


class InvocationStore(Protocol):
    """Accepted invocations, oldest first, within a retention bound, with their lifecycle."""

    # Accepted calls, as issue 8 defined them. A group is one transaction: a file's commit costs dozens of rows.
    def add(self, invocation: Invocation) -> None: ...
    def add_many(self, invocations: Sequence[Invocation]) -> None: ...
    # add_many, with the calls of `instant` functions inserted ended where they may be: their ids.
    def add_ended(
        self, invocations: Sequence[Invocation], now: float, instant: Mapping[str, Instant]
    ) -> dict[str, list[str]]: ...
    def get(self, request_id: str) -> Invocation | None: ...
    def page(self, limit: int, marker: str | None = None) -> Page: ...
    def clear(self) -> None: ...
    def counters(self) -> Counters: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Invocation]: ...

    # The lifecycle.
    def transaction(self) -> AbstractContextManager[None]: ...
    def busy(self, function: str) -> bool: ...
    def unsettled(self) -> int: ...
    def run(self, request_id: str) -> Run | None: ...
    def query(self, query: Query) -> RunPage: ...
    def status_counts(self) -> dict[str, int]: ...
    def claim(self, function: str, limit: int, now: float, due_at: float, *, most: int) -> int: ...
    def claim_and_finish(
        self, function: str, limit: int, now: float, ending: Ending, retries: int, *, most: int
    ) -> list[str]: ...
    def finish(self, function: str, ending: Ending, retries: int, now: float) -> list[str]: ...
    def discard_older(self, function: str, accepted_before: float, now: float, ending: Ending) -> list[str]: ...
    def cancel(self, function: str, request_id: str, now: float, ending: Ending) -> list[str] | None: ...
    def recover(self, owner: int | None = None) -> int: ...

    # Runs of code: claimed with their bodies, settled one by one, with what they returned and printed.
    def claim_runs(
        self, function: str, limit: int, now: float, due_at: float, *, most: int
    ) -> list[tuple[str, bytes]]: ...
    def settle(self, request_id: str, ending: Ending, retries: int, now: float) -> str | None: ...
    def requeue_overdue(self, function: str, now: float, running_here: Collection[str]) -> int: ...
    def put_output(self, request_id: str, result: str | None, error: str | None, logs: str) -> None: ...
    def output(self, request_id: str) -> tuple[str | None, str | None, str] | None: ...

    # The fault plan: a JSON document with a version, and a count of "next" failures claimed one by one.
    # `fault_signal` is None when no other process can share the store (in memory): the plan stays local.
    fault_signal: VersionCell | None

    def put_faults(self, plan: str, next_count: int) -> int: ...
    def faults(self) -> tuple[int, str, int]: ...
    def claim_fault(self) -> bool: ...

    # Functions, their behaviours and async configs, and notifications: JSON documents by key.
    def put_function(self, ref: FunctionRef, behaviour: str) -> None: ...
    def functions(self) -> dict[str, str]: ...
    def put_config(self, function: str, config: str, now: float) -> tuple[str, float, float]: ...
    def config(self, function: str) -> tuple[str, float, float] | None: ...
    def delete_config(self, function: str) -> bool: ...
    def notify(self, notification: Notification) -> None: ...
    def notifications(self, limit: int = MAX_PAGE) -> list[Notification]: ...
