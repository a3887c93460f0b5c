"""The invoke-many journal: one SQLite row per input line, so that a rerun knows what got an answer.

A row is marked "sent", and that is committed, before its call goes out. After Ctrl-C or SIGKILL a row
still "sent" is a call whose outcome is unknown: it may have started a function run, so a rerun leaves
it alone unless told otherwise. Only one run at a time may hold a journal.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import NamedTuple, Self

import fgs
from fgs.cli.env import UsageError

PENDING, SENT, ACCEPTED, FAILED = "pending", "sent", "accepted", "failed"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    line INTEGER PRIMARY KEY,
    payload_sha256 TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'accepted', 'failed')),
    request_id TEXT,
    status INTEGER,
    error TEXT
);
"""


# Refusals that started nothing and may pass later (new credentials, a quieter server): --retry-failed.
RETRIABLE = frozenset({401, 403, 429, 503})


class Row(NamedTuple):
    digest: str
    state: str
    status: int | None = None


def not_sent(error: fgs.FgsError) -> bool:
    """The call never left: refused before sending, or the connection could not be made."""
    return isinstance(error, fgs.InvalidRequestError) or (isinstance(error, fgs.TransportError) and not error.sent)


def outcome_unknown(error: fgs.FgsError) -> bool:
    """No answer arrived for a call that may have left: it may have been accepted."""
    return error.status is None and not not_sent(error)


class Journal:
    """Thread-safe: the fan-out's workers write their own rows."""

    def __init__(self, path: Path, function_urn: str | None) -> None:
        """`function_urn` None: only to read a journal that exists (`fgs journal`)."""
        if function_urn is None and not path.is_file():
            raise UsageError(f"no such journal: {path}")
        self.path = path
        self._lock = threading.Lock()
        self._db = _open(path)
        try:
            if function_urn is not None:
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('function_urn', ?)", (function_urn,))
            found = self._db.execute("SELECT value FROM meta WHERE key = 'function_urn'").fetchone()
            self._db.commit()
        except sqlite3.Error as exc:
            self._db.close()
            raise UsageError(f"cannot use journal {path}: {exc}") from None
        self.function_urn: str | None = found[0] if found else None
        recorded = self.function_urn
        if function_urn is not None and recorded != function_urn:
            self._db.close()
            raise UsageError(f"journal {path} belongs to another function ({recorded}); use another journal")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.commit()
            self._db.close()

    def row(self, line: int) -> Row | None:
        with self._lock:
            found = self._db.execute(
                "SELECT payload_sha256, state, status FROM events WHERE line = ?", (line,)
            ).fetchone()
        return None if found is None else Row(*found)

    def last_line(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT coalesce(max(line), 0) FROM events").fetchone()[0])

    def add_pending(self, line: int, digest: str) -> None:
        """Committed with the next mark_sent: a pending row changes nothing a rerun does."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO events (line, payload_sha256, state) VALUES (?, ?, ?)", (line, digest, PENDING)
            )

    def bad_line(self, line: int, digest: str, reason: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, NULL, NULL, ?)", (line, digest, FAILED, reason)
            )

    def mark_sent(self, line: int) -> None:
        self._set(line, SENT, None, None, None)

    def accepted(self, line: int, request_id: str) -> None:
        self._set(line, ACCEPTED, request_id, 202, None)

    def failed(self, line: int, error: fgs.FgsError) -> None:
        if isinstance(error, fgs.TransportError) and not error.sent:
            self._set(line, PENDING, None, None, str(error))  # never left: a rerun sends it
            return
        self._set(line, SENT if outcome_unknown(error) else FAILED, None, error.status, str(error))

    def _set(self, line: int, state: str, request_id: str | None, status: int | None, error: str | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE events SET state = ?, request_id = ?, status = ?, error = ? WHERE line = ?",
                (state, request_id, status, error, line),
            )
            self._db.commit()

    def totals(self) -> dict[str, int]:
        with self._lock:
            counted = self._db.execute("SELECT state, count(*) FROM events GROUP BY state").fetchall()
        return {PENDING: 0, SENT: 0, ACCEPTED: 0, FAILED: 0} | dict(counted)

    def rows(self) -> list[tuple[int, str, str | None, int | None, str | None]]:
        """Every row, by line: (line, state, request_id, HTTP status, error)."""
        with self._lock:
            found = self._db.execute("SELECT line, state, request_id, status, error FROM events ORDER BY line")
            return [tuple(row) for row in found]

    def unknown(self, limit: int) -> tuple[int, list[int]]:
        """How many calls have an unknown outcome, and the first `limit` of their line numbers."""
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM events WHERE state = ?", (SENT,)).fetchone()
            lines = self._db.execute("SELECT line FROM events WHERE state = ? ORDER BY line LIMIT ?", (SENT, limit))
            return int(count), [int(line) for (line,) in lines]


def _open(path: Path) -> sqlite3.Connection:
    # Anything already there must be a journal: never write over the events, or some other database.
    existing = path.is_file() and path.stat().st_size > 0
    not_a_journal = UsageError(f"{path} exists and is not an fgs journal; name a new file, or an earlier run's journal")
    if path.is_dir():
        raise UsageError(f"journal {path} is a directory")
    try:
        db = sqlite3.connect(path, timeout=0.5, check_same_thread=False)  # a second run fails fast
    except sqlite3.Error as exc:
        raise UsageError(f"cannot open journal {path}: {exc}") from None
    try:
        # WAL: a commit is one append; FULL: it is on disk before the call goes out. EXCLUSIVE: a second
        # run on the same journal fails at once instead of sending the same lines again.
        if existing:  # looked at before any pragma: WAL mode alone would rewrite another database's header
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables != {"meta", "events"}:
                db.close()
                raise not_a_journal
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
    except sqlite3.Error as exc:
        db.close()
        if existing and "locked" not in str(exc):
            raise not_a_journal from None
        reason = "another run is using it" if "locked" in str(exc) else str(exc)
        raise UsageError(f"cannot use journal {path}: {reason}") from None
    return db
