"""The bounded store (SQLite in memory): retention, counters, paging, clearing, and rows the collector ignores."""

from __future__ import annotations

import fcntl
import gc
import os
import random
import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from fgs_mock import DEFAULT_PROJECT_ID, InMemoryInvocationStore, Invocation
from fgs_mock.engine import CANCELED, DISCARDED
from fgs_mock.store import DEFAULT_MAX_INVOCATIONS, DISCARD_BATCH, MAX_PAGE, Counters, Ending, Instant, Query
from fgs_mock.store.sqlite import _SUCCEEDED, MAX_RUN_LOGS, SqliteStore
from fgs_mock.urn import FunctionRef

FUNCTION = FunctionRef(DEFAULT_PROJECT_ID, "default", "hello", "latest")


def _call(n: int, size: int = 8) -> Invocation:
    body = b'{"n": %d, "p": "%s"}' % (n, b"x" * size)
    return Invocation(f"id-{n}", DEFAULT_PROJECT_ID, FUNCTION, body, float(n))


def _fill(store: SqliteStore, count: int, size: int = 8) -> None:
    for n in range(count):
        store.add(_call(n, size))


def test_the_default_store_is_bounded() -> None:
    store = InMemoryInvocationStore()
    _fill(store, DEFAULT_MAX_INVOCATIONS + 5)
    counters = store.counters()
    assert counters.accepted == DEFAULT_MAX_INVOCATIONS + 5
    assert (counters.retained, counters.evicted) == (DEFAULT_MAX_INVOCATIONS, 5)
    assert store.get("id-4") is None
    assert store.get("id-5") is not None


def test_the_byte_bound_evicts_oldest_first_but_keeps_the_newest_call() -> None:
    store = InMemoryInvocationStore(max_body_bytes=100)
    _fill(store, 3, size=30)
    assert [i.request_id for i in store] == ["id-1", "id-2"]
    store.add(_call(9, size=500))  # alone over the bound: it stays, every older one goes
    assert [i.request_id for i in store] == ["id-9"]
    assert store.counters().evicted == 3


def test_a_group_past_both_bounds_evicts_the_oldest_down_to_the_count_then_to_the_bytes() -> None:
    # The calls past the count bound go in one statement: the outcome is the one-by-one outcome.
    store = InMemoryInvocationStore(max_invocations=5, max_body_bytes=100)

    def call(n: int, size: int) -> Invocation:
        return Invocation(f"id-{n}", DEFAULT_PROJECT_ID, FUNCTION, b"x" * size, float(n))

    store.add_many([call(n, 10) for n in range(5)])
    store.claim(FUNCTION.short_urn, 10, now=5.0, due_at=6.0, most=2)  # id-0 and id-1 run
    store.put_output("id-1", "1", None, "printed")
    store.add_many([call(5, 30), call(6, 30), call(7, 40)])
    assert [i.request_id for i in store] == ["id-5", "id-6", "id-7"]  # 0-2 for the count, 3-4 for the bytes
    assert store.counters() == Counters(accepted=8, retained=3, evicted=5)
    assert store.status_counts() == _recount(store) == {"WAIT": 3}
    assert store.output("id-1") is None
    assert store._db.execute("SELECT bytes FROM counters").fetchone()[0] == 100


def test_counters_above_the_rows_end_the_eviction_instead_of_spinning_in_it() -> None:
    # A file changed by hand can count runs it no longer has: the DELETE then finds nothing to evict.
    store = InMemoryInvocationStore(max_invocations=2)
    _fill(store, 2)
    store._db.execute("UPDATE counters SET retained = retained + 5")
    adding = threading.Thread(target=store.add, args=(_call(2),), daemon=True)
    adding.start()
    adding.join(30)
    assert not adding.is_alive()
    assert [i.request_id for i in store] == ["id-2"]


def test_pages_follow_markers_and_survive_eviction_between_pages() -> None:
    store = InMemoryInvocationStore(max_invocations=10)
    _fill(store, 10)
    first = store.page(4)
    assert [i.request_id for i in first.invocations] == ["id-0", "id-1", "id-2", "id-3"]
    assert first.next_marker is not None
    for n in range(10, 16):  # id-0 .. id-5 evicted meanwhile
        store.add(_call(n))
    second = store.page(4, first.next_marker)
    assert [i.request_id for i in second.invocations] == ["id-6", "id-7", "id-8", "id-9"]
    last = store.page(MAX_PAGE, second.next_marker)
    assert [i.request_id for i in last.invocations] == [f"id-{n}" for n in range(10, 16)]
    assert last.next_marker is None


@pytest.mark.parametrize(("limit", "marker"), [(0, None), (MAX_PAGE + 1, None), (5, "x"), (5, "-1"), (5, "9" * 21)])
def test_bad_limits_and_markers_are_refused(limit: int, marker: str | None) -> None:
    with pytest.raises(ValueError, match=r"limit|marker"):
        InMemoryInvocationStore().page(limit, marker)


def test_clear_forgets_the_calls_but_not_the_count_of_accepted() -> None:
    store = InMemoryInvocationStore()
    _fill(store, 5)
    stale = store.page(2).next_marker
    store.clear()
    assert len(store) == 0
    assert store.get("id-1") is None
    assert store.page(10, stale).invocations == []
    store.add(_call(7))
    assert [i.request_id for i in store.page(10, stale).invocations] == ["id-7"]
    assert store.counters().accepted == 6


def test_rows_cost_the_garbage_collector_nothing() -> None:
    # Tracked rows made full collections walk every accepted call: p99 rose 15-fold under load.
    store = InMemoryInvocationStore()
    for n in range(2000):
        store.add(Invocation(f"gc-probe-{n}", DEFAULT_PROJECT_ID, FUNCTION, b"{}", float(n)))
    gc.collect()
    # SQLite keeps the rows outside Python's heap: no object per call is left for the collector to walk.
    # Only this test's calls count: other tests of the same worker may still hold calls of their own.
    left = [o for o in gc.get_objects() if isinstance(o, Invocation) and o.request_id.startswith("gc-probe-")]
    assert left == []
    assert len(store) == 2000


def _recount(store: SqliteStore) -> dict[str, int]:
    rows = store._db.execute("SELECT status, COUNT(*) FROM invocation GROUP BY status ORDER BY status")
    return dict(rows.fetchall())


def test_every_lookup_of_a_status_other_than_success_is_answered_from_an_index_of_that_status(
    tmp_path: Path,
) -> None:
    # by_status holds no run that succeeded (schema step 5), and SQLite uses it only for a query that repeats
    # its WHERE: one that does not walks every run of the function, through by_function.
    store = SqliteStore(path=tmp_path / "plans.db")
    fn = FUNCTION.short_urn
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    store.add_many([_call(n) for n in range(8)])
    store.claim(fn, 2, now=10.0, due_at=11.0, most=2)
    store.finish(fn, Ending("FAIL", 500, "no"), 1, now=12.0)
    store.claim_and_finish(fn, 2, 13.0, Ending("SUCCESS", 0, ""), 0, most=2)
    store.claim_runs(fn, 3, now=14.0, due_at=15.0, most=1)
    store.requeue_overdue(fn, 20.0, ())
    store.discard_older(fn, 7.0, 20.0, DISCARDED)
    store.claim(fn, 1, now=21.0, due_at=22.0, most=1)
    store.cancel(fn, "id-7", 21.0, CANCELED)
    store.recover()
    store.busy(fn)
    store.add_ended([_call(9)], 22.0, {fn: Instant(Ending("SUCCESS", 0, ""), 1, 0.0)})
    for status in ("WAIT", "RUNNING", "FAIL", "DISCARD"):
        store.query(Query(fn, status=status))
    store._db.set_trace_callback(None)
    filtered = [sql for sql in statements if re.search(r"invocation .*WHERE .*status (= '(?!SUCCESS)|IN \()", sql)]
    plans = {sql: [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in filtered}
    store.close()
    assert len(plans) >= 12
    # Every step that reads invocation seeks: by a status index, or one run by its key; none walks
    # by_function or the table.
    walked = {
        sql: steps
        for sql, steps in plans.items()
        if any(re.search(r"SCAN invocation|INDEX by_function", step) for step in steps)
    }
    assert walked == {}


@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
def test_a_query_for_the_runs_that_succeeded_counts_them_and_only_them(in_file: bool, tmp_path: Path) -> None:
    # Their count is taken from the indexes (the function's runs less its others): check it against a recount.
    store = SqliteStore(path=tmp_path / "q.db") if in_file else SqliteStore()
    other = FUNCTION._replace(name="other")
    succeed = Instant(Ending("SUCCESS", 0, ""), 100, 0.0)
    store.add_ended([_call_to(FUNCTION, n) for n in range(5)], 5.0, {FUNCTION.short_urn: succeed})
    store.add_ended([_call_to(other, n) for n in range(5, 9)], 5.0, {other.short_urn: succeed})
    store.add_many([_call_to(FUNCTION, n) for n in range(9, 15)])
    store.claim_and_finish(FUNCTION.short_urn, 10, 20.0, Ending("FAIL", 500, "no"), 0, most=2)
    store.claim_and_finish(FUNCTION.short_urn, 10, 21.0, Ending("SUCCESS", 0, ""), 0, most=1)
    for query in (Query(FUNCTION.short_urn, status="SUCCESS"), Query(FUNCTION.short_urn, status="SUCCESS", since=3.0)):
        page = store.query(query)
        recount = [
            row[0]
            for row in store._db.execute(
                "SELECT request_id FROM invocation WHERE fn = ? AND status = 'SUCCESS' AND accepted_at >= ? "
                "ORDER BY seq DESC",
                (FUNCTION.short_urn, query.since or 0.0),
            )
        ]
        assert (page.count, [run.request_id for run in page.runs]) == (len(recount), recount)
    assert store.query(Query(FUNCTION.short_urn, status="SUCCESS")).count == 6
    # Each index seeks to the function: with `status <> 'SUCCESS'` alone, every other function's runs of
    # any status but SUCCESS were walked too.
    plan = [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {_SUCCEEDED}", (FUNCTION.short_urn,) * 2)]
    assert [step for step in plan if "invocation" in step] == [
        "SEARCH invocation USING COVERING INDEX by_function (fid=?)",
        "SEARCH invocation USING COVERING INDEX by_status (status=? AND fid=?)",
    ]
    store.close()


@pytest.mark.parametrize("claimed", [False, True], ids=["waiting", "running"])
def test_a_call_goes_in_ended_only_while_no_run_of_its_function_waits_or_runs(claimed: bool) -> None:
    # The tallies say whether any run waits or runs; only then is the function's queue read.
    store = SqliteStore()
    fn = FUNCTION.short_urn
    store.add(_call(0))
    if claimed:
        store.claim(fn, 10, now=1.0, due_at=60.0, most=1)
    instant = {fn: Instant(Ending("SUCCESS", 0, ""), 5, 0.0)}
    assert store.add_ended([_call(1)], 2.0, instant) == {}
    assert store.status_counts() == ({"RUNNING": 1, "WAIT": 1} if claimed else {"WAIT": 2})  # in turn
    if claimed:
        store.finish(fn, Ending("SUCCESS", 0, ""), 0, now=60.0)
    store.claim_and_finish(fn, 10, 61.0, Ending("SUCCESS", 0, ""), 0, most=2)
    assert store.add_ended([_call(2)], 62.0, instant) == {fn: ["id-2"]}  # nothing waits or runs now
    assert store.status_counts() == {"SUCCESS": 3}


def test_the_status_tally_follows_every_transition() -> None:
    store = InMemoryInvocationStore(max_invocations=8)
    fn = FUNCTION.short_urn
    _fill(store, 6)
    assert store.status_counts() == _recount(store) == {"WAIT": 6}
    assert store.claim(fn, 10, now=10.0, due_at=11.0, most=3) == 3
    assert store.status_counts() == _recount(store) == {"RUNNING": 3, "WAIT": 3}
    assert store.cancel(fn, "id-5", now=10.5, ending=CANCELED) == ["id-5"]
    assert store.discard_older(fn, accepted_before=3.0, now=10.5, ending=DISCARDED) == []
    store.finish(fn, Ending("FAIL", 500, "no"), retries=0, now=12.0)
    assert store.status_counts() == _recount(store) == {"FAIL": 4, "WAIT": 2}
    assert store.discard_older(fn, accepted_before=4.5, now=13.0, ending=DISCARDED) == ["id-3", "id-4"]
    for n in range(10, 14):  # past the bound of 8: id-0 and id-1 (FAIL) are evicted
        store.add(_call(n))
    assert store.status_counts() == _recount(store) == {"DISCARD": 2, "FAIL": 2, "WAIT": 4}
    store.clear()
    assert store.status_counts() == {}


def test_cancel_and_discard_write_the_ending_they_are_given() -> None:
    store = InMemoryInvocationStore()
    fn = FUNCTION.short_urn
    _fill(store, 3)
    store.claim(fn, 1, now=10.0, due_at=99.0, most=1)  # id-0 runs
    stopped, aged = Ending("FAIL", 4321, "stopped here"), Ending("DISCARD", -7, "too old here")
    assert store.cancel(fn, "id-0", now=11.0, ending=stopped) == ["id-0"]
    assert store.cancel(fn, "id-1", now=12.0, ending=stopped) == ["id-1"]  # waiting
    assert store.discard_older(fn, accepted_before=5.0, now=13.0, ending=aged) == ["id-2"]
    ended = {run.request_id: run for run in map(store.run, ("id-0", "id-1", "id-2")) if run is not None}
    assert [(r.status, r.end_time, r.error_code, r.error_message) for r in ended.values()] == [
        ("FAIL", 11.0, 4321, "stopped here"),
        ("FAIL", 12.0, 4321, "stopped here"),
        ("DISCARD", 13.0, -7, "too old here"),
    ]
    assert store.status_counts() == {"DISCARD": 1, "FAIL": 2}


@pytest.mark.parametrize("seed", range(6))
def test_the_status_tally_matches_a_recount_after_any_sequence_of_changes(seed: int) -> None:
    rng = random.Random(seed)
    store = InMemoryInvocationStore(max_invocations=40)
    added, now = 0, 0.0
    for _ in range(300):
        now += rng.random()
        ref = rng.choice([FUNCTION, FUNCTION._replace(name="other")])
        function = ref.short_urn
        step = rng.randrange(8)
        if step <= 1:
            count = rng.randrange(1, 6)
            calls = [Invocation(f"id-{added + k}", DEFAULT_PROJECT_ID, ref, b"{}", now) for k in range(count)]
            if rng.random() < 0.5:
                store.add_many(calls)
            else:  # some may go in already ended, as a canned behaviour's do
                ending = rng.choice([Ending("SUCCESS", 0, ""), Ending("FAIL", 500, "no")])
                store.add_ended(calls, now, {function: Instant(ending, rng.randrange(0, 4), now - rng.random())})
            added = store.counters().accepted
        elif step == 2 and rng.random() < 0.5:
            store.claim(function, rng.randrange(1, 8), now, now + rng.random(), most=rng.randrange(1, 5))
        elif step == 2:
            ending = rng.choice([Ending("SUCCESS", 0, ""), Ending("FAIL", 500, "no")])
            store.claim_and_finish(
                function, rng.randrange(1, 8), now, ending, rng.randrange(3), most=rng.randrange(1, 5)
            )
        elif step == 3:
            ending = rng.choice([Ending("SUCCESS", 0, ""), Ending("FAIL", 500, "no")])
            store.finish(function, ending, rng.randrange(3), now)
        elif step == 4:
            store.discard_older(function, now - rng.random() * 5, now, DISCARDED)
        elif step == 5 and added:
            store.cancel(function, f"id-{rng.randrange(added)}", now, CANCELED)
        elif step == 6:
            store.recover()
        elif rng.random() < 0.1:
            store.clear()
        assert store.status_counts() == _recount(store)


def test_a_file_made_before_the_tally_is_counted_once_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqliteStore(path=path)
    _fill(store, 5)
    store.claim(FUNCTION.short_urn, 10, now=10.0, due_at=11.0, most=2)
    store._db.execute("DROP TABLE status_count")
    store.close()
    reopened = SqliteStore(path=path)
    assert reopened.status_counts() == {"RUNNING": 2, "WAIT": 3}
    reopened.close()
    assert SqliteStore(path=path).status_counts() == {"RUNNING": 2, "WAIT": 3}  # not counted twice


def test_aged_events_are_discarded_oldest_first_a_batch_per_pass() -> None:
    store = InMemoryInvocationStore(max_invocations=10_000)
    store.add_many([_call(n) for n in range(2_500)])  # accepted at n seconds
    fn = FUNCTION.short_urn
    assert store.discard_older(fn, accepted_before=0.0, now=9e3, ending=DISCARDED) == []  # the oldest is young enough
    first = store.discard_older(fn, accepted_before=2_200.0, now=9e3, ending=DISCARDED)
    second = store.discard_older(fn, accepted_before=2_200.0, now=9e3, ending=DISCARDED)
    third = store.discard_older(fn, accepted_before=2_200.0, now=9e3, ending=DISCARDED)
    assert first == [f"id-{n}" for n in range(DISCARD_BATCH)]
    assert second == [f"id-{n}" for n in range(DISCARD_BATCH, 2 * DISCARD_BATCH)]
    assert third == [f"id-{n}" for n in range(2 * DISCARD_BATCH, 2_200)]
    assert store.discard_older(fn, accepted_before=2_200.0, now=9e3, ending=DISCARDED) == []
    assert store.status_counts() == {"DISCARD": 2_200, "WAIT": 300}


def test_run_output_is_kept_per_retained_run_and_logs_append_within_a_bound() -> None:
    store = SqliteStore(max_invocations=1)
    ref = FunctionRef("p", "default", "f", "latest")
    store.add(Invocation("r1", "p", ref, b"{}", 1.0))
    store.put_output("r1", '{"a": 1}', None, "first\n")
    store.put_output("r1", None, '{"errorType": "E"}', "second\n")
    assert store.output("r1") == (None, '{"errorType": "E"}', "first\nsecond\n")
    store.put_output("r1", None, None, "x" * (MAX_RUN_LOGS * 2))
    found = store.output("r1")
    assert found is not None
    assert len(found[2]) == MAX_RUN_LOGS
    store.add(Invocation("r2", "p", ref, b"{}", 2.0))  # evicts r1, and its output
    assert store.output("r1") is None
    store.put_output("r1", "1", None, "")  # a run evicted while it ran leaves nothing
    assert store.output("r1") is None


def test_the_writers_of_one_file_queue_for_its_write_lock(tmp_path: Path) -> None:
    # SQLite's own wait for its lock polls, sleeping 1 ms and more: with --workers 2 those sleeps made the
    # p99. Writers queue on an flock of the store's "-faults" file, which the kernel hands on at once.
    path = tmp_path / "mock.db"
    store = SqliteStore(path=path)
    probe = os.open(f"{path}-faults", os.O_RDWR)

    def queue_is_free() -> bool:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True

    try:
        assert queue_is_free()
        with store.transaction():
            assert not queue_is_free()
            store.add(_call(1))
        assert queue_is_free()
        assert [i.request_id for i in store] == ["id-1"]
    finally:
        os.close(probe)
        store.close()


def test_a_file_store_opens_and_maps_its_side_file_once(tmp_path: Path) -> None:
    # Its two version cells share one map of "-faults", and its writers' queue the descriptor it was made
    # from; CPython's mmap keeps a duplicate of that descriptor for itself (Python 3.13 can do without).
    side = str(tmp_path / "mock.db-faults")
    store = SqliteStore(path=tmp_path / "mock.db")
    try:
        descriptors = _descriptors_of(side)
        with open("/proc/self/maps") as maps:
            mapped = [line for line in maps if line.rstrip("\n").endswith(side)]
        assert (len(descriptors), len(mapped)) == (2, 1)
    finally:
        store.close()


def test_a_file_store_dropped_unclosed_releases_its_side_file(tmp_path: Path) -> None:
    side = str(tmp_path / "mock.db-faults")
    store = SqliteStore(path=tmp_path / "mock.db")
    store.add(_call(1))
    del store
    gc.collect()
    assert _descriptors_of(side) == []


def _descriptors_of(path: str) -> list[str]:
    """This process's open descriptors of `path`."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == path:
                found.append(fd)
        except OSError:  # the descriptor listdir itself held, closed since
            pass
    return found


def _read_while_held(store: SqliteStore, read: Callable[[], object]) -> list[object]:
    """What `read` returned in a thread of its own while another thread held the store (nothing if it waited)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        found: list[object] = []
        reader = threading.Thread(target=lambda: found.append(read()))
        reader.start()
        reader.join(timeout=10)
        return found
    finally:
        release.set()
        holder.join()


def test_an_in_memory_store_lists_its_functions_while_another_thread_holds_it() -> None:
    # The engine's thread reads them every tick: holding the store across that query stalled the serving
    # loop for up to the GIL's switch interval (5 ms), and at 64 connections p99 went from 8 to 50 ms.
    store = SqliteStore()
    store.put_function(FUNCTION, "{}")
    assert store.functions() == {FUNCTION.short_urn: "{}"}
    assert _read_while_held(store, store.functions) == [{FUNCTION.short_urn: "{}"}]
    other = FUNCTION._replace(name="other")

    def register_then_fail() -> None:
        with store.transaction():
            store.put_function(other, "{}")
            assert other.short_urn in store.functions()
            raise ZeroDivisionError  # rolled back: the function was never registered

    with pytest.raises(ZeroDivisionError):
        register_then_fail()
    assert store.functions() == {FUNCTION.short_urn: "{}"}
    store.put_function(other, "{}")
    assert store.functions() == {FUNCTION.short_urn: "{}", other.short_urn: "{}"}


class _Gate:
    """A store's lock that says when a thread starts to wait for it."""

    def __init__(self, lock: AbstractContextManager[bool]) -> None:
        self._lock = lock
        self.waiting = threading.Event()

    def __enter__(self) -> bool:
        self.waiting.set()
        return self._lock.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)  # type: ignore[arg-type]


def test_a_function_registered_while_its_list_is_read_is_listed_after() -> None:
    # The engine's thread read the list while the serving thread registered a new behaviour: the
    # registration forgot the list, then waited for the lock, and the read put back what it had read.
    store = SqliteStore()
    store.put_function(FUNCTION, "old")
    reading, go_on = threading.Event(), threading.Event()
    query = store._db

    class Slow:
        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("SELECT fn, behaviour"):
                reading.set()
                go_on.wait(30)
            return query.execute(sql, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(query, name)

    store._db = Slow()  # type: ignore[assignment]
    reader = threading.Thread(target=store.functions)
    reader.start()
    assert reading.wait(30)  # the reader holds the lock, mid-query
    gate = store._lock = _Gate(store._lock)  # type: ignore[assignment]
    writer = threading.Thread(target=store.put_function, args=(FUNCTION, "new"))
    writer.start()
    assert gate.waiting.wait(30)  # the writer waits for the lock
    go_on.set()
    reader.join(30)
    writer.join(30)
    assert store.functions() == {FUNCTION.short_urn: "new"}


def test_an_in_memory_store_reads_a_config_while_another_thread_holds_it_and_sees_every_change() -> None:
    store = SqliteStore()
    name = FUNCTION.short_urn
    assert store.config(name) is None
    store.put_config(name, "{}", 1.0)
    assert store.config(name) == ("{}", 1.0, 1.0)
    assert _read_while_held(store, lambda: store.config(name)) == [("{}", 1.0, 1.0)]
    store.put_config(name, '{"max_async_retry_attempts": 0}', 2.0)
    assert store.config(name) == ('{"max_async_retry_attempts": 0}', 1.0, 2.0)

    def change_then_fail() -> None:
        with store.transaction():
            store.put_config(name, "{}", 3.0)
            assert store.config(name) == ("{}", 1.0, 3.0)
            raise ZeroDivisionError  # rolled back

    with pytest.raises(ZeroDivisionError):
        change_then_fail()
    assert store.config(name) == ('{"max_async_retry_attempts": 0}', 1.0, 2.0)
    assert store.delete_config(name)
    assert store.config(name) is None


def test_calls_added_from_several_threads_while_another_claims_are_each_stored_once() -> None:
    store = SqliteStore(max_invocations=100_000)
    per_thread, threads = 2000, 4
    done = threading.Event()
    ended: list[str] = []
    fn, succeed = FUNCTION.short_urn, Ending("SUCCESS", 0, "")

    def serve(t: int) -> None:
        for n in range(per_thread):
            store.add(_call(t * per_thread + n))

    def engine() -> None:
        while not done.is_set() or store.busy(fn):
            with store.transaction():
                ended.extend(store.claim_and_finish(fn, 1000, 1.0, succeed, 0, most=200))

    claimer = threading.Thread(target=engine)
    claimer.start()
    servers = [threading.Thread(target=serve, args=(t,)) for t in range(threads)]
    for server in servers:
        server.start()
    for server in servers:
        server.join()
    done.set()
    claimer.join(timeout=60)
    assert not claimer.is_alive()
    assert sorted(ended) == sorted(f"id-{n}" for n in range(per_thread * threads))
    assert store.status_counts() == {"SUCCESS": per_thread * threads}


def _queries(store: SqliteStore) -> list[str]:
    """The statements that read functions or configs from now on."""
    seen: list[str] = []
    store._db.set_trace_callback(
        lambda sql: seen.append(sql) if " FROM function" in sql or " FROM config" in sql else None
    )
    return seen


def test_a_file_store_keeps_what_it_read_until_any_process_on_the_file_changes_it(tmp_path: Path) -> None:
    # From a file, each group of calls read the function list and each instant function's config: 4% of
    # a call's CPU at 10 connections. Another process (here, another store on the file) may change them.
    ours, theirs = SqliteStore(path=tmp_path / "m.db"), SqliteStore(path=tmp_path / "m.db")
    try:
        name = FUNCTION.short_urn
        theirs.put_function(FUNCTION, "{}")
        assert (ours.functions(), ours.config(name)) == ({name: "{}"}, None)
        queries = _queries(ours)
        assert (ours.functions(), ours.config(name)) == ({name: "{}"}, None)
        assert queries == []  # kept
        theirs.put_config(name, "{}", 1.0)
        assert ours.config(name) == ("{}", 1.0, 1.0)
        other = FUNCTION._replace(name="other")
        theirs.put_function(other, "{}")
        assert ours.functions() == {name: "{}", other.short_urn: "{}"}
        theirs.delete_config(name)
        assert (ours.functions(), ours.config(name)) == ({name: "{}", other.short_urn: "{}"}, None)
        seen = len(queries)

        def change_then_fail() -> None:
            with theirs.transaction():
                theirs.put_function(FUNCTION, "changed")
                raise ZeroDivisionError  # rolled back: nothing to announce

        with pytest.raises(ZeroDivisionError):
            change_then_fail()
        assert (ours.functions(), ours.config(name)) == ({name: "{}", other.short_urn: "{}"}, None)
        assert len(queries) == seen
        assert theirs.functions()[name] == "{}"  # what it kept went with the rollback
    finally:
        ours.close()
        theirs.close()


def _calls_of(store: SqliteStore, function: FunctionRef) -> list[str]:
    return [run.request_id for run in store.query(Query(function.short_urn, newest_first=False)).runs]


def _call_to(function: FunctionRef, n: int) -> Invocation:
    return Invocation(f"id-{n}", DEFAULT_PROJECT_ID, function, b"{}", float(n))


def _numbered(store: SqliteStore) -> list[str]:
    return [row[0] for row in store._db.execute("SELECT fn FROM fn_id ORDER BY fn")]


def test_a_function_keeps_its_number_only_while_it_has_runs() -> None:
    # The indexes name functions by number (fn_id): a number that outlived its runs would make that
    # table grow with every name a peer ever called.
    store = InMemoryInvocationStore(max_invocations=3)
    functions = [FUNCTION._replace(name=f"f{n}") for n in range(6)]
    for n, function in enumerate(functions):
        store.add(_call_to(function, n))
    assert _numbered(store) == [f.short_urn for f in functions[3:]]
    assert [_calls_of(store, f) for f in functions] == [[], [], [], ["id-3"], ["id-4"], ["id-5"]]
    store.add(_call_to(functions[5], 6))  # evicts f3's only run
    assert _numbered(store) == [f.short_urn for f in functions[4:]]
    assert _calls_of(store, functions[5]) == ["id-5", "id-6"]
    store.clear()
    assert _numbered(store) == []
    store.add(_call_to(functions[0], 7))
    assert _calls_of(store, functions[0]) == ["id-7"]


def test_stores_on_one_file_number_functions_alike_and_a_rollback_keeps_no_number(tmp_path: Path) -> None:
    ours, theirs = SqliteStore(path=tmp_path / "m.db"), SqliteStore(path=tmp_path / "m.db")
    a, b, c = (FUNCTION._replace(name=name) for name in "abc")
    try:

        def add_then_fail() -> None:
            with ours.transaction():
                ours.add(_call_to(c, 9))
                raise ZeroDivisionError

        ours.add(_call_to(a, 0))
        theirs.add(_call_to(a, 1))
        theirs.add(_call_to(b, 2))
        ours.add(_call_to(b, 3))
        with pytest.raises(ZeroDivisionError):
            add_then_fail()
        theirs.add(_call_to(FUNCTION, 4))  # takes the number c had in the transaction rolled back
        theirs.add(_call_to(c, 5))
        ours.add(_call_to(c, 6))
        for store in (ours, theirs):
            assert [_calls_of(store, f) for f in (a, b, c)] == [["id-0", "id-1"], ["id-2", "id-3"], ["id-5", "id-6"]]
            assert store.busy(c.short_urn)
            assert not store.busy("urn:fss:nowhere")
    finally:
        ours.close()
        theirs.close()


def test_a_number_given_again_after_a_clear_is_never_taken_for_the_old_function(tmp_path: Path) -> None:
    # Numbers are looked up in each transaction: a store that kept c's from before the clear would file
    # c's next call under d, which the other store numbered the same.
    ours, theirs = SqliteStore(path=tmp_path / "m.db"), SqliteStore(path=tmp_path / "m.db")
    c, d = (FUNCTION._replace(name=name) for name in "cd")
    try:
        ours.add(_call_to(c, 0))
        theirs.clear()
        theirs.add(_call_to(d, 1))
        ours.add(_call_to(c, 2))
        assert [_calls_of(theirs, f) for f in (c, d)] == [["id-2"], ["id-1"]]
        assert _numbered(ours) == [c.short_urn, d.short_urn]
    finally:
        ours.close()
        theirs.close()
