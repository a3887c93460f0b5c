# ruff: noqa: S608 - queries splice fixed column lists and conditions; every value is a bound parameter
"""The mock's store: SQLite (stdlib), in memory by default or durable in a file.

A file store runs in WAL mode with synchronous=NORMAL: a committed row survives the process being
killed (only a power loss may drop the last commits), and readers never wait for the writer. Each
group of accepted calls is one transaction, in memory as in a file; claims and settlements use
BEGIN IMMEDIATE and conditional UPDATEs, so several processes on one file never run an invocation
twice; their writers queue for the write lock (see signal.SideFile). Rows carry only strings,
numbers and bytes: SQLite keeps them, so CPython's collector has nothing to walk however much is
retained.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, get_args

from fgs_mock.store import schema
from fgs_mock.store.protocol import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_INVOCATIONS,
    DISCARD_BATCH,
    MAX_PAGE,
    Counters,
    Ending,
    Instant,
    Invocation,
    Notification,
    Page,
    Query,
    Run,
    RunPage,
    Status,
    StoreUnavailable,
)
from fgs_mock.store.signal import SideFile
from fgs_mock.urn import FunctionRef

SCHEMA = """
-- Schema step 6 rebuilds it without AUTOINCREMENT: a call's seq is its number in `counters.accepted`.
CREATE TABLE IF NOT EXISTS invocation (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL, package TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL,
    fn TEXT NOT NULL,
    body BLOB NOT NULL,
    accepted_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'WAIT',
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL, start_time REAL, end_time REAL, error_code INTEGER, error_message TEXT
);
-- Version 0's indexes: schema step 4 rebuilds them on the function's number (fid), under the same names,
-- and step 5 leaves the runs that succeeded out of by_status.
CREATE INDEX IF NOT EXISTS by_function ON invocation (fn, seq);
CREATE INDEX IF NOT EXISTS by_status ON invocation (status, fn, seq);
CREATE INDEX IF NOT EXISTS by_due ON invocation (fn, due_at) WHERE status = 'RUNNING';
-- Runs per status other than SUCCESS (the rest of `retained`, so a call that succeeds at once writes no
-- tally; until schema step 5, WAIT was the rest): counting them on each listing took 25 ms with 300k
-- stored, holding the store. Each statement that moves runs adds its own counts (see _move); a trigger
-- per row made the engine's transactions twice as long. A file made before the tally existed is counted
-- once, here.
CREATE TABLE IF NOT EXISTS status_count (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO status_count SELECT status, COUNT(*) FROM invocation
    WHERE status <> 'SUCCESS' AND NOT EXISTS (SELECT 1 FROM status_count) GROUP BY status;
CREATE TABLE IF NOT EXISTS counters (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    accepted INTEGER NOT NULL, evicted INTEGER NOT NULL, retained INTEGER NOT NULL, bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters VALUES (1, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS fault_plan (
    id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, plan TEXT NOT NULL, next INTEGER NOT NULL
);
INSERT OR IGNORE INTO fault_plan VALUES (1, 0, '{}', 0);
CREATE TABLE IF NOT EXISTS function (fn TEXT PRIMARY KEY, behaviour TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config (
    fn TEXT PRIMARY KEY, doc TEXT NOT NULL, created REAL NOT NULL, modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notification (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, fn TEXT NOT NULL, status TEXT NOT NULL,
    destination TEXT NOT NULL, param TEXT NOT NULL, at REAL NOT NULL, delivered_as TEXT
);
"""

MAX_RUN_LOGS = 256 * 1024  # characters of output kept per invocation, over all its attempts


_RUN = "request_id, fn, status, accepted_at, attempts, start_time, end_time, error_code, error_message"
_CALL = "request_id, project, package, name, qualifier, body, accepted_at"
Row = tuple[Any, ...]  # a call to insert: _CALL's columns, then fn
_BODY, _ACCEPTED, _FN = 5, 6, 7
# The indexes name a function by its number in fn_id: with a URN in each entry of two of them, a commit
# of twelve calls wrote 25 pages to the WAL, where it wrote 20 (schema steps 5 and 6 took it to 15).
_OF_FN = "fid = (SELECT id FROM fn_id WHERE fn = ?)"
_STATE = "status, attempts, start_time, end_time, error_code, error_message"
_WAITING = ("WAIT", 0, None, None, None, None)
# by_status leaves out the runs that succeeded (schema step 5): a call that succeeds at once writes no
# entry there, and a commit of twelve such calls 3 pages fewer. SQLite uses a partial index only for a
# query that repeats its WHERE, so each condition on another status carries it.
_LISTED = "status <> 'SUCCESS'"
_IS_WAIT, _IS_RUNNING = f"status = 'WAIT' AND {_LISTED}", f"status = 'RUNNING' AND {_LISTED}"
_UNSETTLED = f"SELECT EXISTS (SELECT 1 FROM invocation WHERE status IN ('WAIT', 'RUNNING') AND {_LISTED} AND {_OF_FN})"
# How many runs wait or run, of all functions, from the tallies. Two lookups, not one with `status IN
# (...)`: in the counters' UPDATE that one took 75 to 97 µs instead of 7 for a quarter of an hour, in
# every new process, and back; the lookups took 6.
_UNSETTLED_COUNT = (
    "(SELECT COALESCE(SUM(n), 0) FROM status_count WHERE status = 'WAIT') + "
    "(SELECT COALESCE(SUM(n), 0) FROM status_count WHERE status = 'RUNNING')"
)
# A function's runs that succeeded: its runs less its others, each counted in an index. The others by
# their statuses, one seek each: `status <> 'SUCCESS'` alone walked every other run of every function.
_SUCCEEDED = (
    f"SELECT (SELECT COUNT(*) FROM invocation INDEXED BY by_function WHERE {_OF_FN}) - "
    "(SELECT COUNT(*) FROM invocation INDEXED BY by_status "
    f"WHERE status IN ({', '.join(repr(s) for s in get_args(Status) if s != 'SUCCESS')}) AND {_LISTED} AND {_OF_FN})"
)
_OLDEST_WAITING = f"SELECT seq FROM invocation WHERE {_IS_WAIT} AND {_OF_FN} ORDER BY seq LIMIT ?"
# How a run ends (status, end_time, error_code, error_message: an Ending and its time)
_END = "UPDATE invocation SET status = ?, end_time = ?, error_code = ?, error_message = ?, due_at = NULL"
# Notifications are test evidence, not state: a bound keeps a long run from growing the file forever.
MAX_NOTIFICATIONS = 10_000
CHECKPOINT_EVERY = 0.1  # seconds
PAGE_SIZE = 1024
# Primary result codes of a write the file cannot take now; anything else is a bug and stays one.
_UNAVAILABLE = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN}
)
WAL_SIZE_LIMIT = 256 * 1024 * 1024  # bytes a reset WAL is truncated to
MAX_KEPT_CONFIGS = 4096  # functions whose async config a store keeps as read


class SqliteStore:
    """Keeps the newest `max_invocations` calls whose bodies total at most `max_body_bytes`."""

    def __init__(
        self,
        max_invocations: int = DEFAULT_MAX_INVOCATIONS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        *,
        path: str | Path | None = None,
        max_bytes: int | None = None,
    ) -> None:
        if max_invocations < 1 or max_body_bytes < 1:
            raise ValueError("retention bounds must be positive")
        if max_bytes is not None and max_bytes < 64 * PAGE_SIZE:
            raise ValueError(f"a store needs at least {64 * PAGE_SIZE} bytes")
        self.max_invocations = max_invocations
        self.max_body_bytes = max_body_bytes
        self.path = None if path is None else str(path)
        if self.path is not None:
            schema.check_header(self.path)
        # One connection per store, shared by the server's thread and the engine's, under a lock.
        self._db = sqlite3.connect(self.path or ":memory:", isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._closed = threading.Event()
        # functions() and config() as last read, each with the version of the functions and configs it was
        # read at (a function without a config is kept too, as None). See _settings_version.
        self._functions: tuple[int, dict[str, str]] | None = None
        self._configs: dict[str, tuple[int, tuple[str, float, float] | None]] = {}
        self._settings_changed = False  # this transaction wrote functions or configs: announce it at COMMIT
        try:
            schema.version(self._db)  # reads only: a file this code must not use is refused as it was
            if self.path is not None:
                # Small pages: each commit rewrites a handful of pages (row, indexes, counters) into the WAL.
                self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                # A checkpoint fsyncs the database: done by this connection, it stalled a commit now and then
                # for 10-25 ms (p99 8 ms). A thread of its own checkpoints instead, without blocking writers.
                self._db.execute("PRAGMA wal_autocheckpoint=0")
                self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            self.migrated_from = schema.migrate(self._db, SCHEMA)
            if max_bytes is not None:
                # A full disk, on purpose: past it every write fails with SQLITE_FULL, as on a full filesystem.
                size = self._db.execute("PRAGMA page_size").fetchone()[0]
                self._db.execute(f"PRAGMA max_page_count={max_bytes // size}")
            # Set only for a file: other processes may share it, and must hear of a new fault plan.
            self._side = None if self.path is None else SideFile(self.path + "-faults")
            self.fault_signal = None if self._side is None else self._side.faults
        except BaseException:
            self._db.close()
            raise
        if self.path is not None:
            threading.Thread(
                target=_checkpoints, args=(self.path, self._closed), name="fgs-mock-checkpoint", daemon=True
            ).start()
            # The thread holds no reference to the store: a store dropped without close() still ends it.
            weakref.finalize(self, self._closed.set)
        if self._side is not None:
            weakref.finalize(self, self._side.close)  # its descriptor is not the collector's to close

    def close(self) -> None:
        self._closed.set()
        with self._lock:  # a writer still in its transaction bumps a cell after its commit
            self._db.close()
            if self._side is not None:
                self._side.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, behind the file's other writers in their queue (see signal.SideFile)."""
        # IMMEDIATE takes the write lock up front: two processes cannot both read "free" and both claim.
        with self._lock:
            if self._db.in_transaction:  # inside transaction(): its commit covers this too
                yield self._db
                return
            try:
                with nullcontext() if self._side is None else self._side.turn():
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._db
                        self._db.execute("COMMIT")
                        if self._settings_changed and self._side is not None:
                            # After the commit, and in the writers' queue: a process that reads the new
                            # version reads what was committed, and no two writers make the same one.
                            self._side.settings.write(self._side.settings.read() + 1)
                    finally:
                        self._settings_changed = False
                        if self._db.in_transaction:  # SQLite may have rolled back already (a full disk does)
                            self._db.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                # A full disk, a read-only file, a lock held too long: this write cannot be made now.
                if exc.sqlite_errorcode & 0xFF in _UNAVAILABLE:
                    raise StoreUnavailable(str(exc)) from exc
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for statements that write nothing."""
        with self._lock:
            yield self._db

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several calls as one transaction: one commit, and no other writer in between."""
        with self._write():
            yield

    def busy(self, function: str) -> bool:
        """Whether `function` has runs that are not final yet (a read: no write lock taken)."""
        with self._read() as db:
            found = db.execute(_UNSETTLED, (function,)).fetchone()[0]
        return bool(found)

    def unsettled(self) -> int:
        """How many runs wait or run, of all functions (the tallies: one read, no write lock)."""
        with self._read() as db:
            found: int = db.execute(f"SELECT {_UNSETTLED_COUNT}").fetchone()[0]
        return found

    # Accepted calls

    def add(self, invocation: Invocation) -> None:
        self.add_many([invocation])

    def add_many(self, invocations: Sequence[Invocation]) -> None:
        """One transaction for many: a file store's commit costs far more than a row."""
        self.add_ended(invocations, 0.0, {})

    def add_ended(
        self, invocations: Sequence[Invocation], now: float, instant: Mapping[str, Instant]
    ) -> dict[str, list[str]]:
        """`add_many`, with the calls of `instant` functions inserted already ended where they may be (see
        `Instant`): their request_ids by function."""
        rows: list[Row] = []
        for invocation in invocations:
            f = invocation.function
            assert f.project_id == invocation.project_id
            rows.append(
                (
                    invocation.request_id,
                    f.project_id,
                    f.package,
                    f.name,
                    f.qualifier,
                    invocation.body,
                    invocation.accepted_at,
                    f.short_urn,
                )
            )
        with self._write() as db:
            return self._insert(db, rows, now, instant)

    def _insert(
        self, db: sqlite3.Connection, rows: list[Row], now: float, instant: Mapping[str, Instant]
    ) -> dict[str, list[str]]:
        """Insert accepted calls and evict the oldest past the bounds, within the caller's transaction;
        the calls of `instant` functions ended (their request_ids by function), where they may be."""
        size = sum(len(row[_BODY]) for row in rows)
        fids = _function_ids(db, {row[_FN] for row in rows})
        # How many runs waited or ran before these calls, of all functions, from the tallies: when none did,
        # no function's queue needs a query of its own (see _ended_on_insert).
        # Each call's seq is its number among all accepted, never given twice (clear() keeps the count): a
        # table with AUTOINCREMENT wrote its sqlite_sequence page in every commit besides the counters.
        accepted, retained, total, unsettled = db.execute(
            "UPDATE counters SET accepted = accepted + ?, retained = retained + ?, bytes = bytes + ? "
            f"RETURNING accepted, retained, bytes, {_UNSETTLED_COUNT}",
            (len(rows), len(rows), size),
        ).fetchone()
        first = accepted - len(rows) + 1
        if instant:
            ended, values = _ended_on_insert(db, rows, first, fids, now, instant, queued=unsettled != 0)
            _insert_rows(db, f"seq, {_CALL}, fn, fid, {_STATE}", values)
        else:
            ended = {}
            values = [(seq, *row, fids[row[_FN]]) for seq, row in enumerate(rows, first)]
            _insert_rows(db, f"seq, {_CALL}, fn, fid", values)
        for fn, ids in ended.items():
            _tally(db, instant[fn].ending.status, len(ids))
        _tally(db, "WAIT", len(rows) - sum(map(len, ended.values())))
        # Oldest first, and the newest call stays even when its body alone is over the byte bound. The
        # calls past the count bound go in one statement: at the default bound every call evicts one,
        # and four statements a call took a quarter of a full store's speed.
        evicted: set[int] = set()  # the functions (numbers) of the runs evicted
        while retained > 1 and (retained > self.max_invocations or total > self.max_body_bytes):
            count = max(1, min(retained - self.max_invocations, retained - 1))
            gone = db.execute(
                "DELETE FROM invocation WHERE seq IN (SELECT seq FROM invocation "
                "WHERE seq < (SELECT MAX(seq) FROM invocation) ORDER BY seq LIMIT ?) "
                "RETURNING length(body), status, request_id, fid",
                (count,),
            ).fetchall()
            if not gone:  # counters above the rows (a file changed by hand): only the newest is left
                break
            for status, n in Counter(row[1] for row in gone).items():
                _tally(db, status, -n)
            db.executemany("DELETE FROM run_output WHERE request_id = ?", [(row[2],) for row in gone])
            evicted.update(row[3] for row in gone)
            retained, total = db.execute(
                "UPDATE counters SET evicted = evicted + ?, retained = retained - ?, bytes = bytes - ? "
                "RETURNING retained, bytes",
                (len(gone), len(gone), sum(row[0] for row in gone)),
            ).fetchone()
        if evicted:  # a function's number goes with its last run: fn_id holds no more rows than invocation
            db.executemany(
                "DELETE FROM fn_id WHERE id = ? AND NOT EXISTS (SELECT 1 FROM invocation WHERE fid = ?)",
                [(fid, fid) for fid in evicted],
            )
        return ended

    def get(self, request_id: str) -> Invocation | None:
        with self._read() as db:
            row = db.execute(f"SELECT {_CALL} FROM invocation WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else _invocation(row)

    def page(self, limit: int, marker: str | None = None) -> Page:
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be within [1, {MAX_PAGE}]")
        if marker is not None and not (marker.isascii() and marker.isdigit() and len(marker) <= 18):
            raise ValueError("marker must be a next_marker this store returned")
        # A marker that was evicted meanwhile continues from the oldest call still retained.
        with self._read() as db:
            rows = db.execute(
                f"SELECT seq, {_CALL} FROM invocation WHERE seq > ? ORDER BY seq LIMIT ?",
                (int(marker or -1), limit + 1),
            ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_invocation(r[1:]) for r in rows], str(rows[-1][0]) if more else None)

    def clear(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM invocation")
            db.execute("DELETE FROM run_output")
            db.execute("DELETE FROM fn_id")
            db.execute("UPDATE counters SET retained = 0, bytes = 0")
            db.execute("UPDATE status_count SET n = 0")

    def counters(self) -> Counters:
        with self._read() as db:
            accepted, retained, evicted = db.execute("SELECT accepted, retained, evicted FROM counters").fetchone()
        return Counters(accepted, retained, evicted)

    def __len__(self) -> int:
        return self.counters().retained

    def __iter__(self) -> Iterator[Invocation]:
        with self._read() as db:
            rows = db.execute(f"SELECT {_CALL} FROM invocation ORDER BY seq").fetchall()
        return iter([_invocation(row) for row in rows])

    # The lifecycle

    def run(self, request_id: str) -> Run | None:
        with self._read() as db:
            row = db.execute(f"SELECT {_RUN} FROM invocation WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else Run(*row)

    def query(self, query: Query) -> RunPage:
        where: list[str] = [_OF_FN]
        args: list[str | float] = [query.function]
        for column, op, value in (
            ("request_id", "=", query.request_id),
            ("status", "=", query.status),
            ("accepted_at", ">=", query.since),
            ("accepted_at", "<=", query.until),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        if query.status is not None and query.status != "SUCCESS":
            where.append(_LISTED)  # by_status, for any status it holds
        condition = " AND ".join(where)
        with self._read() as db:
            # by_status holds no run that succeeded: walking by_function to count them took seven times as
            # long (93 ms against 13.5 for 300,000 runs of one function).
            if query.status == "SUCCESS" and (query.request_id, query.since, query.until) == (None, None, None):
                count = db.execute(_SUCCEEDED, (query.function, query.function)).fetchone()[0]
            else:
                count = db.execute(f"SELECT COUNT(*) FROM invocation WHERE {condition}", args).fetchone()[0]
            rows = db.execute(
                f"SELECT {_RUN} FROM invocation WHERE {condition} "
                f"ORDER BY seq {'DESC' if query.newest_first else 'ASC'} LIMIT ? OFFSET ?",
                [*args, query.limit + 1, query.marker],
            ).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return RunPage([Run(*r) for r in rows], count, query.marker + len(rows) if more else None)

    def status_counts(self) -> dict[str, int]:
        # One statement, so one snapshot: another process on the file may commit between two.
        with self._read() as db:
            rows = db.execute(
                "SELECT NULL, retained FROM counters UNION ALL SELECT status, n FROM status_count WHERE n <> 0"
            ).fetchall()
        counts = {status: n for status, n in rows if status is not None}
        counts["SUCCESS"] = rows[0][1] - sum(counts.values())
        # A count that is not positive would be a bookkeeping bug: shown, not hidden.
        return {status: counts[status] for status in sorted(counts) if counts[status] != 0}

    def claim(self, function: str, limit: int, now: float, due_at: float, *, most: int) -> int:
        """Start the oldest waiting runs of `function`, up to `limit` running and `most` at once."""
        with self._write() as db:
            return len(_start(db, function, limit, now, due_at, most, "request_id"))

    def claim_and_finish(
        self, function: str, limit: int, now: float, ending: Ending, retries: int, *, most: int
    ) -> list[str]:
        """`claim` for runs that take no time: each ends as `finish` would end it, in the same write.

        One UPDATE per run instead of two, and none of them passes through RUNNING (its start and end
        are the same instant). A failing run with attempts left waits again. Returns the request_ids
        that reached `ending.status`.
        """
        again = retries if ending.status != "SUCCESS" else -1  # attempts up to this wait again
        with self._write() as db:
            free = _free(db, function, limit, most)
            if free <= 0:
                return []
            retry = "attempts + 1 <= ?"
            rows = db.execute(
                f"UPDATE invocation SET attempts = attempts + 1, start_time = ?, "
                f"status = CASE WHEN {retry} THEN 'WAIT' ELSE ? END, "
                f"end_time = CASE WHEN {retry} THEN NULL ELSE ? END, "
                f"error_code = CASE WHEN {retry} THEN NULL ELSE ? END, "
                f"error_message = CASE WHEN {retry} THEN NULL ELSE ? END "
                f"WHERE seq IN ({_OLDEST_WAITING}) "
                "RETURNING request_id, status",
                (
                    now,
                    again,
                    ending.status,
                    again,
                    now,
                    again,
                    ending.error_code,
                    again,
                    ending.error_message,
                    function,
                    free,
                ),
            ).fetchall()
            ended = [request_id for request_id, status in rows if status != "WAIT"]
            _move(db, "WAIT", ending.status, len(ended))
        return ended

    def finish(self, function: str, ending: Ending, retries: int, now: float) -> list[str]:
        """End the function's runs that are due: failed ones with attempts left queue again (WAIT).

        Returns the request_ids that reached `ending.status`.
        """
        # Only this process's runs: another worker's may still be running there, and a dead one's queue again.
        due = f"WHERE {_IS_RUNNING} AND {_OF_FN} AND due_at <= ? AND (owner = ? OR owner IS NULL)"
        me = os.getpid()
        with self._write() as db:
            if ending.status != "SUCCESS":
                again = db.execute(
                    f"UPDATE invocation SET status = 'WAIT', due_at = NULL {due} AND attempts <= ?",
                    (function, now, me, retries),
                ).rowcount
                _move(db, "RUNNING", "WAIT", again)
            rows = db.execute(
                f"{_END} {due} RETURNING request_id",
                (ending.status, now, ending.error_code, ending.error_message, function, now, me),
            ).fetchall()
            _move(db, "RUNNING", ending.status, len(rows))
        return [r[0] for r in rows]

    def discard_older(self, function: str, accepted_before: float, now: float, ending: Ending) -> list[str]:
        """End waiting events older than `accepted_before` as `ending` says, oldest first, DISCARD_BATCH at most.

        Waiting runs are taken in the order they came, so when the oldest is young enough nothing is:
        one indexed row answers the common case. Walking every waiting run took 100 ms with 300k waiting.
        With several workers on one file a call stamped earlier may commit a little later, so it can be
        discarded a few milliseconds late; never early.
        """
        with self._write() as db:
            first = db.execute(
                f"SELECT accepted_at FROM invocation WHERE seq = ({_OLDEST_WAITING})", (function, 1)
            ).fetchone()
            if first is None or first[0] >= accepted_before:
                return []
            rows = db.execute(
                f"{_END} WHERE seq IN ({_OLDEST_WAITING}) AND accepted_at < ? RETURNING request_id",
                (ending.status, now, ending.error_code, ending.error_message, function, DISCARD_BATCH, accepted_before),
            ).fetchall()
            _move(db, "WAIT", ending.status, len(rows))
        return [r[0] for r in rows]

    def cancel(self, function: str, request_id: str, now: float, ending: Ending) -> list[str] | None:
        """End the run and, when it was running, the function's other running ones, as `ending` says.

        None when `function` has no such run; an empty list when it had already ended.
        """
        stop = (ending.status, now, ending.error_code, ending.error_message)
        with self._write() as db:
            row = db.execute(
                f"SELECT status FROM invocation WHERE request_id = ? AND {_OF_FN}", (request_id, function)
            ).fetchone()
            if row is None:
                return None
            if row[0] == "WAIT":
                db.execute(f"{_END} WHERE request_id = ?", (*stop, request_id))
                _move(db, "WAIT", ending.status, 1)
                return [request_id]
            if row[0] != "RUNNING":
                return []
            rows = db.execute(
                f"{_END} WHERE {_IS_RUNNING} AND {_OF_FN} RETURNING request_id", (*stop, function)
            ).fetchall()
            _move(db, "RUNNING", ending.status, len(rows))
        return [r[0] for r in rows]

    def recover(self, owner: int | None = None) -> int:
        """Runs that were RUNNING in a process that died queue again (WAIT): every one after a restart,
        or those of the worker process `owner`. The cut-short run is not an attempt: the async config's
        retries count what the function did."""
        which = "" if owner is None else " AND owner = ?"
        with self._write() as db:
            again = db.execute(
                "UPDATE invocation SET status = 'WAIT', due_at = NULL, start_time = NULL, owner = NULL, "
                "attempts = MAX(attempts - 1, 0), reruns = reruns + 1 "
                f"WHERE {_IS_RUNNING}{which}",
                () if owner is None else (owner,),
            ).rowcount
            _move(db, "RUNNING", "WAIT", again)
            return again

    # Runs of code (the runtime): each run is claimed, then settled on its own

    def claim_runs(self, function: str, limit: int, now: float, due_at: float, *, most: int) -> list[tuple[str, bytes]]:
        """As `claim`, but returns the started runs' request_ids and bodies, to hand to the runtime."""
        with self._write() as db:
            rows = _start(db, function, limit, now, due_at, most, "request_id, body")
        return [(r[0], r[1]) for r in rows]

    def settle(self, request_id: str, ending: Ending, retries: int, now: float) -> str | None:
        """End one running run: a failure with attempts left (`attempts <= retries`) queues again.

        Returns the status it reached (WAIT when it queued again), or None when it was no longer
        running (a cancel ended it first).
        """
        with self._write() as db:
            if ending.status != "SUCCESS":
                again = db.execute(
                    "UPDATE invocation SET status = 'WAIT', due_at = NULL "
                    "WHERE request_id = ? AND status = 'RUNNING' AND attempts <= ?",
                    (request_id, retries),
                ).rowcount
                if again:
                    _move(db, "RUNNING", "WAIT", 1)
                    return "WAIT"
            ended = db.execute(
                f"{_END} WHERE request_id = ? AND status = 'RUNNING'",
                (ending.status, now, ending.error_code, ending.error_message, request_id),
            ).rowcount
            _move(db, "RUNNING", ending.status, ended)
        return ending.status if ended else None

    def requeue_overdue(self, function: str, now: float, running_here: Collection[str]) -> int:
        """Runs of code still RUNNING past their due time and not `running_here`: a worker that ran them
        died. They queue again (WAIT); as in `recover`, the cut-short run is not an attempt."""
        with self._write() as db:
            overdue = db.execute(
                f"SELECT request_id FROM invocation WHERE {_IS_RUNNING} AND {_OF_FN} AND due_at <= ?",
                (function, now),
            ).fetchall()
            orphans = [(row[0],) for row in overdue if row[0] not in running_here]
            again = db.executemany(
                "UPDATE invocation SET status = 'WAIT', due_at = NULL, start_time = NULL, owner = NULL, "
                "attempts = MAX(attempts - 1, 0), reruns = reruns + 1 WHERE request_id = ? AND status = 'RUNNING'",
                orphans,
            ).rowcount
            _move(db, "RUNNING", "WAIT", again)
        return again

    def put_output(self, request_id: str, result: str | None, error: str | None, logs: str) -> None:
        """Keep what an attempt returned or raised (the latest attempt's) and its output (appended)."""
        with self._write() as db:
            # Only for a run still retained: one evicted while it ran leaves nothing behind.
            db.execute(
                "INSERT INTO run_output SELECT ?, ?, ?, substr(?, 1, ?) "
                "WHERE EXISTS (SELECT 1 FROM invocation WHERE request_id = ?) ON CONFLICT (request_id) DO UPDATE "
                "SET result = excluded.result, error = excluded.error, logs = substr(logs || ?, 1, ?)",
                (request_id, result, error, logs, MAX_RUN_LOGS, request_id, logs, MAX_RUN_LOGS),
            )

    def output(self, request_id: str) -> tuple[str | None, str | None, str] | None:
        """The run's result and error (JSON texts or None) and its logs; None when it kept none."""
        with self._read() as db:
            row = db.execute(
                "SELECT result, error, logs FROM run_output WHERE request_id = ?", (request_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    # The fault plan, shared by every process on the file

    def put_faults(self, plan: str, next_count: int) -> int:
        """Replace the plan; its new version, also announced through `fault_signal`."""
        with self._write() as db:
            (version,) = db.execute(
                "UPDATE fault_plan SET version = version + 1, plan = ?, next = ? RETURNING version", (plan, next_count)
            ).fetchone()
        if self.fault_signal is not None:
            self.fault_signal.write(version)
        return int(version)

    def faults(self) -> tuple[int, str, int]:
        """The plan's version, its JSON document, and how many "next" calls it still fails."""
        with self._read() as db:
            version, plan, next_count = db.execute("SELECT version, plan, next FROM fault_plan").fetchone()
        return int(version), str(plan), int(next_count)

    def claim_fault(self) -> bool:
        """Take one of the plan's "next" failures; False when none is left. Exact across processes."""
        with self._write() as db:
            return db.execute("UPDATE fault_plan SET next = next - 1 WHERE next > 0").rowcount == 1

    # Functions, configs, notifications

    def put_function(self, ref: FunctionRef, behaviour: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO function VALUES (?, ?)", (ref.short_urn, behaviour))
            # Under the lock, as functions() fills it: forgotten before, a read still under way put back
            # what it had read, and the engine went on with the old behaviour.
            self._settings_written()

    def functions(self) -> dict[str, str]:
        # Kept as read: the engine's thread reads them every tick without the lock, which it held across the
        # query, long enough (the GIL's 5 ms switch interval) to stall the serving loop; and each group of
        # calls reads them. From a file, that query was 4% of a call's CPU at 10 connections.
        kept = self._functions
        if kept is not None and kept[0] == self._settings_version():
            return dict(kept[1])
        with self._read() as db:
            version = self._settings_version()  # before the query: a change after it makes the read stale
            found = dict(db.execute("SELECT fn, behaviour FROM function").fetchall())
            if not db.in_transaction:  # a rollback could still undo what it saw
                self._functions = (version, found)
        return dict(found)

    def _settings_version(self) -> int:
        """The version of the functions and configs: in memory always 0 (only this store writes them, and
        forgets what it kept when it does); in a file, the one every process on it bumps when it does."""
        return 0 if self._side is None else self._side.settings.read()

    def _settings_written(self) -> None:
        """Functions or configs were written in this transaction: forget what is kept, and have the other
        processes on the file forget theirs at its commit. The caller holds the lock."""
        self._functions = None
        self._configs.clear()
        self._settings_changed = True

    def put_config(self, function: str, config: str, now: float) -> tuple[str, float, float]:
        with self._write() as db:
            row = db.execute(
                "INSERT INTO config VALUES (?, ?, ?, ?) ON CONFLICT (fn) DO UPDATE SET doc = ?, modified = ? "
                "RETURNING doc, created, modified",
                (function, config, now, now, config, now),
            ).fetchone()
            self._settings_written()
        return row[0], row[1], row[2]

    def config(self, function: str) -> tuple[str, float, float] | None:
        # Kept as read, as functions() keeps its list: the engine reads it for every group.
        # One lookup: between a test and a read, another thread's put_config could drop the entry.
        kept = self._configs.get(function)
        if kept is not None and kept[0] == self._settings_version():
            return kept[1]
        with self._read() as db:
            version = self._settings_version()
            row = db.execute("SELECT doc, created, modified FROM config WHERE fn = ?", (function,)).fetchone()
            found = None if row is None else (row[0], row[1], row[2])
            if not db.in_transaction:
                if len(self._configs) >= MAX_KEPT_CONFIGS:
                    self._configs.clear()
                self._configs[function] = (version, found)
        return found

    def delete_config(self, function: str) -> bool:
        with self._write() as db:
            self._settings_written()
            return db.execute("DELETE FROM config WHERE fn = ?", (function,)).rowcount > 0

    def notify(self, notification: Notification) -> None:
        n = notification
        with self._write() as db:
            db.execute(
                "INSERT INTO notification (request_id, fn, status, destination, param, at, delivered_as, record) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (n.request_id, n.function, n.status, n.destination, n.param, n.at, n.delivered_as, n.record),
            )
            db.execute(
                "DELETE FROM notification WHERE seq <= (SELECT MAX(seq) FROM notification) - ?", (MAX_NOTIFICATIONS,)
            )

    def notifications(self, limit: int = MAX_PAGE) -> list[Notification]:
        with self._read() as db:
            rows = db.execute(
                "SELECT request_id, fn, status, destination, param, at, delivered_as, record FROM notification "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Notification(*row) for row in rows]


def _tally(db: sqlite3.Connection, status: str, change: int) -> None:
    if change and status != "SUCCESS":  # the rest of `retained`
        db.execute(
            "INSERT INTO status_count VALUES (?, ?) ON CONFLICT (status) DO UPDATE SET n = n + excluded.n",
            (status, change),
        )


ROWS_A_STATEMENT = 16  # an INSERT of one row each, run 16 times, cost a fifth more per row


def _insert_rows(db: sqlite3.Connection, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT `rows` (each a value for each of `columns`) into invocation, up to ROWS_A_STATEMENT a statement."""
    for start in range(0, len(rows), ROWS_A_STATEMENT):
        chunk = rows[start : start + ROWS_A_STATEMENT]
        db.execute(_insert_statement(columns, len(chunk[0]), len(chunk)), list(chain.from_iterable(chunk)))


@lru_cache(maxsize=64)
def _insert_statement(columns: str, width: int, count: int) -> str:
    row = f"({', '.join('?' * width)})"
    return f"INSERT INTO invocation ({columns}) VALUES {', '.join([row] * count)}"


def _function_ids(db: sqlite3.Connection, functions: Collection[str]) -> dict[str, int]:
    """Each function's number, given one in this transaction when it has none. Never kept past the
    transaction: a number goes with its function's last run (see `_insert`), and may be given again."""
    ids: dict[str, int] = {}
    for fn in functions:
        row = db.execute("SELECT id FROM fn_id WHERE fn = ?", (fn,)).fetchone()
        if row is None:
            row = db.execute("INSERT INTO fn_id (fn) VALUES (?) RETURNING id", (fn,)).fetchone()
        ids[fn] = row[0]
    return ids


def _ended_on_insert(
    db: sqlite3.Connection,
    rows: list[Row],
    first: int,
    fids: Mapping[str, int],
    now: float,
    instant: Mapping[str, Instant],
    *,
    queued: bool,
) -> tuple[dict[str, list[str]], list[tuple[Any, ...]]]:
    """Which calls go in already ended, as the engine's pass would end them in the same transaction
    (see `claim_and_finish`): the oldest of an instant function while none of its runs waits or runs,
    up to its `most`, none accepted before its `accepted_after`. Their request_ids by function, and the
    rows, numbered from `first` (seq), with their function's number and the state each goes in with
    (`_STATE`'s columns). Without `queued`, no run of any function waits or runs, and no queue is read:
    in the served mock at 10 connections, that query cost 1.4 µs a call."""
    room: dict[str, int] = {}
    ending: dict[str, tuple[Any, ...]] = {}  # the state an ended row of each function goes in with
    ended: dict[str, list[str]] = {}
    with_state: list[tuple[Any, ...]] = []
    for seq, row in enumerate(rows, first):
        fn = row[_FN]
        spec = instant.get(fn)
        if spec is not None and fn not in room:
            room[fn] = 0 if queued and db.execute(_UNSETTLED, (fn,)).fetchone()[0] else spec.most
            e = spec.ending
            ending[fn] = (e.status, 1, now, now, e.error_code, e.error_message)
        if spec is None or room[fn] <= 0 or row[_ACCEPTED] < spec.accepted_after:
            if spec is not None:
                room[fn] = 0  # first in, first run: nothing after a call that waits ends before it
            with_state.append((seq, *row, fids[fn], *_WAITING))
            continue
        room[fn] -= 1
        with_state.append((seq, *row, fids[fn], *ending[fn]))
        ended.setdefault(fn, []).append(row[0])
    return ended, with_state


def _free(db: sqlite3.Connection, function: str, limit: int, most: int) -> int:
    """How many more runs of `function` may start now: up to `limit` running and `most` at once."""
    running: int = db.execute(
        f"SELECT COUNT(*) FROM invocation WHERE {_IS_RUNNING} AND {_OF_FN}", (function,)
    ).fetchone()[0]
    return min(limit - running, most)


def _start(
    db: sqlite3.Connection, function: str, limit: int, now: float, due_at: float, most: int, columns: str
) -> list[Any]:
    """Move the oldest waiting runs of `function` to RUNNING, as many as `_free` allows, within the
    caller's transaction; returns their `columns` (a fixed list of invocation columns)."""
    free = _free(db, function, limit, most)
    if free <= 0:
        return []
    rows: list[Any] = db.execute(
        "UPDATE invocation SET status = 'RUNNING', attempts = attempts + 1, start_time = ?, due_at = ?, "
        "owner = ? "
        f"WHERE seq IN ({_OLDEST_WAITING}) "
        f"RETURNING {columns}",
        (now, due_at, os.getpid(), function, free),
    ).fetchall()
    _move(db, "WAIT", "RUNNING", len(rows))
    return rows


def _move(db: sqlite3.Connection, source: str, target: str, count: int) -> None:
    """`count` runs went from `source` to `target`, within the caller's transaction."""
    if count and source != target:
        _tally(db, source, -count)
        _tally(db, target, count)


def _invocation(row: tuple[str, str, str, str, str, bytes, float]) -> Invocation:
    request_id, project, package, name, qualifier, body, accepted_at = row
    return Invocation(request_id, project, FunctionRef(project, package, name, qualifier), body, accepted_at)


class InMemoryInvocationStore(SqliteStore):
    """The store in memory: the mock's default, and the name issue 8 gave its store."""

    def __init__(
        self, max_invocations: int = DEFAULT_MAX_INVOCATIONS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ) -> None:
        super().__init__(max_invocations, max_body_bytes)


def _checkpoints(path: str, closed: threading.Event) -> None:
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        wal = Path(path + "-wal")
        while not closed.wait(CHECKPOINT_EVERY):
            # PASSIVE copies without blocking anyone, but under steady writes it never catches up and
            # the WAL only grows; past the limit, RESTART (writers wait for it, a few ms to tens of ms)
            # lets the next writer start the log from its beginning.
            big = wal.exists() and wal.stat().st_size > WAL_SIZE_LIMIT
            try:
                db.execute("PRAGMA wal_checkpoint(RESTART)" if big else "PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError:
                continue  # a full disk: the WAL keeps every commit meanwhile, and the next pass tries again
    finally:
        db.close()
