"""Busy endpoints: a correct one whose function already has 10,000 runs in the last hour and gets 20 more
a second while the suite runs; one that answers some pages 429 first; and three whose listings make no
progress (a marker that stays, pages that go round, a page that repeats the first).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from contract_tests.conformance.broken_lifecycle import _on_page, _operation
from contract_tests.mock.mutants import Exchange, Known, Variant, answer_with, wrap
from fgs_mock import Backend, create_app
from fgs_mock.server import ASGIApp
from fgs_mock.store import Ending, InMemoryInvocationStore, Invocation

PREFILLED = 10_000
SPREAD = 300.0  # seconds: accepted over the 5 minutes before the build, 4,000 in the last 2 (as in the issue)
RATE = 20  # runs a second while the suite runs
FEED_FOR = 120.0  # the feeder stops by itself after this long, whatever the run does
RETAIN = 100_000  # the store keeps every run of the test: none of the window's runs is evicted
RETRY_AFTER = 1  # seconds the 429 endpoint asks for


# The feeders started so far, until stop_feeding: each would otherwise go on beside later tests of its process.
_feeders: list[tuple[threading.Thread, threading.Event]] = []


def _feed(backend: Backend, project_id: str, urn: str, stop_at: float, rate: int, stop: threading.Event) -> None:
    """`rate` runs a second by the clock, each accepted when added: a late wake-up (a loaded machine, a busy
    process) adds the runs it owes at once, so the suite's window holds as many as the rate promises."""
    function = backend.resolve(project_id, urn)
    started, fed = time.monotonic(), 0
    while (now := time.monotonic()) < stop_at and not stop.is_set():
        due = int((now - started) * rate) + 1
        accepted = backend.engine.clock()
        owed = [Invocation(str(uuid.uuid4()), project_id, function, b"{}", accepted) for _ in range(due - fed)]
        backend.invocations.add_many(owed)
        fed = due
        stop.wait(1 / rate)


def stop_feeding() -> None:
    """Stop every feeder started so far (once the suite's runs against them are over), and wait for them."""
    while _feeders:
        thread, stop = _feeders.pop()
        stop.set()
        thread.join(timeout=30)


def prefill(backend: Backend, known: Known, count: int = PREFILLED) -> None:
    """`count` ended runs of the function, accepted over the last hour: written to the store at once."""
    function = backend.resolve(known.project_id, known.function_urn)
    now = backend.engine.clock()
    backend.invocations.add_many(
        [
            Invocation(str(uuid.uuid4()), known.project_id, function, b"{}", now - SPREAD + i * SPREAD / count)
            for i in range(count)
        ]
    )
    # Settled in two statements: a tenth failed, the rest succeeded, so every status listing has some.
    backend.invocations.claim(function.short_urn, count, now, now, most=count // 10)
    backend.invocations.finish(function.short_urn, Ending("FAIL", 500, "handler raised"), 0, now)
    backend.invocations.claim(function.short_urn, count, now, now, most=count)
    backend.invocations.finish(function.short_urn, Ending("SUCCESS", 0, ""), 0, now)


@dataclass(frozen=True)
class Busy(Variant):
    """The mock, with a busy function: PREFILLED runs in the query window and `rate` more a second."""

    rate: int = RATE

    def build(self, known: Known) -> tuple[ASGIApp, Backend]:
        backend = Backend.with_defaults(
            token=known.token,
            project_id=known.project_id,
            function_urn=known.function_urn,
            store=InMemoryInvocationStore(max_invocations=RETAIN),
        )
        prefill(backend, known)
        stop = threading.Event()
        args = (backend, known.project_id, known.function_urn, time.monotonic() + FEED_FOR, self.rate, stop)
        feeder = threading.Thread(target=_feed, args=args, name="busy-feeder", daemon=True)
        _feeders.append((feeder, stop))
        feeder.start()
        app = create_app(backend, self.dialect)
        return (wrap(app, known, self.before, self.after) if self.before or self.after else app), backend


@dataclass
class TooManyRequests:
    """Answers each page after the first with 429 and Retry-After once, then serves it: a correct endpoint."""

    refused: dict[str, float] = field(default_factory=dict)  # query string -> when it was refused
    served_after: dict[str, float] = field(default_factory=dict)  # query string -> when it was then served
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, exchange: Exchange, known: Known) -> None:
        if _operation(exchange) != ("GET", "async-invocations") or exchange.status != 200:
            return
        query = exchange.scope["query_string"].decode()
        if dict(parse_qsl(query)).get("marker", "0") == "0":
            return
        with self.lock:
            if query not in self.refused:
                self.refused[query] = time.monotonic()
                body = json.dumps({"error_code": "FSS.0429", "error_msg": "Too many requests."}).encode()
                answer_with(exchange, 429, body)
                exchange.headers = [*(exchange.headers or []), (b"retry-after", str(RETRY_AFTER).encode())]
            else:
                self.served_after.setdefault(query, time.monotonic())


def _marker_stays(page: dict[str, Any], query: dict[str, str]) -> None:
    if page.get("next_marker") is not None:
        page["next_marker"] = int(query.get("marker", "0"))


def _pages_go_round(page: dict[str, Any], query: dict[str, str]) -> None:
    # Every later page, the last one too, leads back to the first: 0 -> n -> 0 -> n ...
    if query.get("marker", "0") != "0":
        page["next_marker"] = 0


def _reads_no_marker(exchange: Exchange, known: Known) -> None:
    """Serves the first page whatever marker is asked, with next_marker still moving on from it."""
    if _operation(exchange) == ("GET", "async-invocations"):
        pairs = parse_qsl(exchange.scope["query_string"].decode())
        exchange.scope["fgs-asked-marker"] = dict(pairs).get("marker", "0")
        exchange.scope["query_string"] = urlencode([(k, v) for k, v in pairs if k != "marker"]).encode()


def _advances_anyway(exchange: Exchange, known: Known) -> None:
    if _operation(exchange) == ("GET", "async-invocations") and exchange.status == 200:
        page = json.loads(exchange.answer)
        if page.get("next_marker") is not None:
            page["next_marker"] = int(exchange.scope["fgs-asked-marker"]) + len(page["invocations"])
            exchange.answer = json.dumps(page).encode()


BUSY = Busy("busy-function")
NO_PROGRESS = [
    Variant("marker-does-not-advance", after=_on_page(_marker_stays), caught_by=("pagination",)),
    Variant("pages-go-round", after=_on_page(_pages_go_round), caught_by=("pagination",)),
    Variant("repeats-the-first-page", before=_reads_no_marker, after=_advances_anyway, caught_by=("pagination",)),
]
# What each one's failure says: the suite names the kind of no progress it met.
NO_PROGRESS_SAYS = {
    "marker-does-not-advance": "repeats the marker asked for",
    "pages-go-round": "the pages go round in a cycle",
    "repeats-the-first-page": "holds only runs listed before: the pages make no progress",
}
