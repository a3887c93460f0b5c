"""The store in memory holds a call at once, outside any transaction: every read and write sees it."""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fgs_mock import DEFAULT_PROJECT_ID, Invocation, ids
from fgs_mock.engine import CANCELED
from fgs_mock.store import Ending, Query
from fgs_mock.store.pending import MOST, MOST_HELD
from fgs_mock.store.sqlite import SqliteStore
from fgs_mock.urn import FunctionRef

FUNCTION = FunctionRef(DEFAULT_PROJECT_ID, "default", "hello", "latest")
FN = FUNCTION.short_urn
DONE = Ending("SUCCESS", 0, "")


def _call(n: int) -> Invocation:
    return Invocation(f"id-{n}", DEFAULT_PROJECT_ID, FUNCTION, b'{"n": %d}' % n, float(n))


def _rows_in_sqlite(store: SqliteStore) -> int:
    """What SQLite itself holds, past the store's own methods (which would insert the held calls)."""
    return int(store._db.execute("SELECT COUNT(*) FROM invocation").fetchone()[0])


READS: dict[str, Callable[[SqliteStore], Any]] = {
    "get": lambda s: s.get("id-0") is not None,
    "run": lambda s: s.run("id-0") is not None,
    "page": lambda s: len(s.page(10).invocations) == 1,
    "iter": lambda s: [i.request_id for i in s] == ["id-0"],
    "len": lambda s: len(s) == 1,
    "counters": lambda s: s.counters().accepted == 1,
    "status_counts": lambda s: s.status_counts() == {"WAIT": 1},
    "busy": lambda s: s.busy(FN),
    "query": lambda s: s.query(Query(function=FN, limit=10)).count == 1,
    "cancel": lambda s: s.cancel(FN, "id-0", 1.0, CANCELED) == ["id-0"],
    "claim": lambda s: s.claim(FN, 10, 1.0, 2.0, most=10) == 1,
}


@pytest.mark.parametrize("read", READS, ids=list(READS))
def test_a_held_call_is_in_no_transaction_yet_and_every_read_or_write_sees_it(read: str) -> None:
    store = SqliteStore()
    assert store.buffered
    store.add(_call(0))
    assert _rows_in_sqlite(store) == 0  # the serving thread paid no statement for it
    assert READS[read](store)
    assert _rows_in_sqlite(store) == 1


def test_a_transaction_that_rolls_back_keeps_the_calls_held_before_it() -> None:
    store = SqliteStore()
    store.add(_call(0))
    claimed: list[str] = []

    def failing_pass() -> None:
        with store.transaction():
            claimed.extend(store.claim_and_finish(FN, 10, 1.0, DONE, 0, most=10))
            raise RuntimeError("the engine's pass failed half-way")

    with pytest.raises(RuntimeError):
        failing_pass()
    assert claimed == ["id-0"]
    run = store.run("id-0")
    assert run is not None
    assert run.status == "WAIT"
    assert store.counters().accepted == 1


def test_a_failed_insert_gives_the_calls_back_first_in_line(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore()
    store.add_many([_call(0), _call(1)])
    real = SqliteStore._insert

    def refuse_once(self: SqliteStore, *args: Any) -> None:
        monkeypatch.setattr(SqliteStore, "_insert", real)
        raise sqlite3.OperationalError("out of memory")

    monkeypatch.setattr(SqliteStore, "_insert", refuse_once)
    with pytest.raises(sqlite3.OperationalError):
        store.get("id-0")
    store.add(_call(2))
    assert [i.request_id for i in store] == ["id-0", "id-1", "id-2"]
    assert store.counters().accepted == 3


def test_a_full_buffer_empties_itself_and_retention_still_holds() -> None:
    store = SqliteStore(max_invocations=MOST // 2)
    store.add_many([_call(n) for n in range(MOST - 1)])
    assert _rows_in_sqlite(store) == 0
    store.add(_call(MOST - 1))
    assert _rows_in_sqlite(store) == MOST // 2  # inserted, and the oldest half evicted
    counters = store.counters()
    assert (counters.accepted, counters.retained, counters.evicted) == (MOST, MOST // 2, MOST // 2)


def test_past_its_soft_bound_the_buffer_waits_for_a_busy_store_only_past_its_hard_bound() -> None:
    store = SqliteStore(max_invocations=100_000)
    inside, release = threading.Event(), threading.Event()

    def engine_pass() -> None:
        with store.transaction():
            inside.set()
            release.wait(60)

    engine = threading.Thread(target=engine_pass)
    engine.start()
    assert inside.wait(30)
    store.add_many([_call(n) for n in range(MOST_HELD - 1)])  # returns at once: the store is busy
    assert _rows_in_sqlite(store) == 0
    last = threading.Thread(target=store.add, args=(_call(MOST_HELD - 1),))
    last.start()
    last.join(0.2)
    assert last.is_alive()  # held as many as it may: it waits for the store
    release.set()
    last.join(30)
    engine.join(30)
    assert not last.is_alive()
    assert _rows_in_sqlite(store) == MOST_HELD


def test_a_file_store_and_a_capped_store_insert_each_call_in_its_own_commit(tmp_path: Path) -> None:
    for store in (SqliteStore(path=tmp_path / "m.db"), SqliteStore(max_bytes=1 << 20)):
        assert not store.buffered
        store.add(_call(0))
        assert _rows_in_sqlite(store) == 1
        store.close()


def test_calls_held_from_several_threads_while_another_claims_are_each_stored_once() -> None:
    store = SqliteStore(max_invocations=100_000)
    per_thread, threads = 2000, 4
    done = threading.Event()
    ended: list[str] = []

    def serve(t: int) -> None:
        for n in range(per_thread):
            store.add(_call(t * per_thread + n))

    def engine() -> None:
        while not done.is_set() or store.busy(FN):
            with store.transaction():
                ended.extend(store.claim_and_finish(FN, 1000, 1.0, DONE, 0, most=200))

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


def test_request_ids_are_version_7_uuids_in_time_order_that_never_repeat() -> None:
    before = time.time_ns() // 1_000_000
    made = [ids.uuid7() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert len(set(made)) == 20_000
    for value in made[:2000]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert before <= parsed.int >> 80 <= after  # the first 48 bits: the time in ms
    # Appended at the end of the index: each id sorts after those made in an earlier millisecond.
    assert all(a[:13] <= b[:13] for a, b in itertools.pairwise(made))
    # Every hex digit of the random part shows up in every random position: nothing is stuck.
    digits = [set(v[i] for v in made) for i in (15, 16, 17, *range(20, 23), *range(24, 36))]
    assert all(len(d) == 16 for d in digits)
    assert {v[19] for v in made} == set("89ab")


def test_threads_that_make_ids_at_once_never_get_the_same_one() -> None:
    made: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def make(into: list[str]) -> None:
        start.wait()
        into.extend(ids.uuid7() for _ in range(20_000))  # 20,000: the chunk of random bits runs out often

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({v for into in made for v in into}) == 80_000


def test_a_forked_worker_hands_out_other_ids_than_its_parent() -> None:
    ids.uuid7()  # the parent holds ids it has not handed out yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, ",".join(ids.uuid7() for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        theirs = set(pipe.read().split(","))
    os.waitpid(child, 0)
    ours = {ids.uuid7() for _ in range(50)}
    assert len(theirs) == 50
    assert all(re.fullmatch(r"[0-9a-f-]{36}", v) for v in theirs)
    assert not ours & theirs


def test_a_slice_inserts_the_oldest_held_calls_and_keeps_the_rest_held() -> None:
    store = SqliteStore()
    store.add_many([_call(n) for n in range(10)])
    assert store.flush(4) == (6, {})
    ids_in_sqlite = [r[0] for r in store._db.execute("SELECT request_id FROM invocation ORDER BY seq")]
    assert ids_in_sqlite == [f"id-{n}" for n in range(4)]
    assert store._db.execute("SELECT accepted, retained FROM counters").fetchone() == (4, 4)
    assert store.flush(100) == (0, {})
    assert store.flush(100) == (0, {})  # nothing held: no transaction at all
    assert [i.request_id for i in store] == [f"id-{n}" for n in range(10)]
    assert store.counters().accepted == 10
