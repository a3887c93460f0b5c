"""The store's schema version (`PRAGMA user_version`) and the steps that bring an older file up to it.

Version 0 is the schema the first file stores had, before they carried a version: `sqlite.SCHEMA`,
applied with IF NOT EXISTS on every open as it always was. Each later change is one `Step` appended to
`STEPS`; step N takes a file from version N to N + 1 inside the same transaction as the version bump,
so a crash mid-migration leaves the old version intact. A file newer than this code, or one that is
not a store of ours, is refused before anything is written to it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

APPLICATION_ID = 0x46475331  # "FGS1" in the database header: the file is an fgs-mock store
_MAGIC = b"SQLite format 3\x00"


class UnusableStore(ValueError):
    """A store file the mock must not open: the message is one line, fit for the command's error."""


@dataclass(frozen=True)
class Step:
    why: str
    sql: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step(
        "a running run names the process running it, so that a dead worker's runs queue again",
        ("ALTER TABLE invocation ADD COLUMN owner INTEGER",),
    ),
    Step(
        "a run of code keeps what it returned, raised and printed, and a destination the record it was sent",
        (
            "CREATE TABLE run_output (request_id TEXT PRIMARY KEY, result TEXT, error TEXT, "
            "logs TEXT NOT NULL DEFAULT '') WITHOUT ROWID",
            "ALTER TABLE notification ADD COLUMN record TEXT",
        ),
    ),
    Step(
        "a run cut short by a dead process runs again without it counting as an attempt: count the reruns apart",
        ("ALTER TABLE invocation ADD COLUMN reruns INTEGER NOT NULL DEFAULT 0",),
    ),
    Step(
        "the indexes name a function by a number, not its URN: a commit writes a fifth fewer pages",
        (
            # A number per function with retained runs; `fn` is its only index, and covers the lookup.
            "CREATE TABLE fn_id (id INTEGER PRIMARY KEY, fn TEXT NOT NULL UNIQUE)",
            "INSERT INTO fn_id (fn) SELECT DISTINCT fn FROM invocation",
            "ALTER TABLE invocation ADD COLUMN fid INTEGER",
            "UPDATE invocation SET fid = (SELECT id FROM fn_id WHERE fn_id.fn = invocation.fn)",
            # Same names: SCHEMA's CREATE INDEX IF NOT EXISTS, run on every open, must find them.
            "DROP INDEX by_function",
            "CREATE INDEX by_function ON invocation (fid, seq)",
            "DROP INDEX by_status",
            "CREATE INDEX by_status ON invocation (status, fid, seq)",
            "DROP INDEX by_due",
            "CREATE INDEX by_due ON invocation (fid, due_at) WHERE status = 'RUNNING'",
        ),
    ),
    Step(
        "runs that succeeded are left out of by_status and the tally: a call that succeeds at once writes neither",
        (
            "DROP INDEX by_status",
            "CREATE INDEX by_status ON invocation (status, fid, seq) WHERE status <> 'SUCCESS'",
            # SUCCESS becomes the rest of `retained`, where WAIT was: counted again, whatever the file held.
            "DELETE FROM status_count",
            "INSERT INTO status_count SELECT status, COUNT(*) FROM invocation "
            "WHERE status <> 'SUCCESS' GROUP BY status",
        ),
    ),
    Step(
        "a call's seq is its number among the accepted: without AUTOINCREMENT a commit writes one page fewer",
        (
            # No seq may be given twice, so the count starts past every one AUTOINCREMENT gave.
            "UPDATE counters SET accepted = MAX(accepted, "
            "(SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'invocation'))",
            "DROP INDEX by_function",
            "DROP INDEX by_status",
            "DROP INDEX by_due",
            "ALTER TABLE invocation RENAME TO invocation_v5",
            "CREATE TABLE invocation (seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, "
            "project TEXT NOT NULL, package TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, "
            "fn TEXT NOT NULL, body BLOB NOT NULL, accepted_at REAL NOT NULL, status TEXT NOT NULL DEFAULT 'WAIT', "
            "attempts INTEGER NOT NULL DEFAULT 0, due_at REAL, start_time REAL, end_time REAL, error_code INTEGER, "
            "error_message TEXT, owner INTEGER, reruns INTEGER NOT NULL DEFAULT 0, fid INTEGER)",
            # Named, in the order of version 5's columns: ADD COLUMN appended owner, reruns and fid.
            "INSERT INTO invocation SELECT seq, request_id, project, package, name, qualifier, fn, body, accepted_at, "
            "status, attempts, due_at, start_time, end_time, error_code, error_message, owner, reruns, fid "
            "FROM invocation_v5",
            "DROP TABLE invocation_v5",
            "CREATE INDEX by_function ON invocation (fid, seq)",
            "CREATE INDEX by_status ON invocation (status, fid, seq) WHERE status <> 'SUCCESS'",
            "CREATE INDEX by_due ON invocation (fid, due_at) WHERE status = 'RUNNING'",
        ),
    ),
)
VERSION = len(STEPS)


def check_header(path: str) -> None:
    """Refuse a file that exists, is not empty and is not SQLite, before SQLite opens (or touches) it."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UnusableStore(f"cannot read it: {exc.strerror or exc}") from None
    if head and head != _MAGIC:
        raise UnusableStore("it is not an SQLite database; it was left as it is")


def version(db: sqlite3.Connection) -> int:
    """The file's schema version, or UnusableStore when it is not one this code can read. Writes nothing."""
    try:
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        app = int(db.execute("PRAGMA application_id").fetchone()[0])
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise UnusableStore(f"it is not a readable SQLite database ({exc})") from None
    if app not in (0, APPLICATION_ID) or (app == 0 and tables and "invocation" not in tables):
        raise UnusableStore("it is an SQLite database, but not an fgs-mock store; it was left as it is")
    if found > VERSION:
        raise UnusableStore(
            f"its schema version is {found}, newer than the {VERSION} this fgs-mock reads; use a newer fgs-mock"
        )
    return found


def migrate(db: sqlite3.Connection, base: str) -> int:
    """Bring the file to VERSION in one IMMEDIATE transaction; the version it had before."""
    db.execute("BEGIN IMMEDIATE")
    try:
        before = version(db)  # again, under the write lock: another process may have migrated meanwhile
        for statement in _statements(base):
            db.execute(statement)
        for step in STEPS[before:]:
            for statement in step.sql:
                db.execute(statement)
        if before != VERSION or int(db.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
            db.execute(f"PRAGMA user_version = {VERSION}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return before


def _statements(script: str) -> list[str]:
    """The statements of a script, so that they run in the caller's transaction (executescript commits)."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending)
            pending = ""
    if pending.strip() and not all(p.strip().startswith("--") for p in pending.splitlines() if p.strip()):
        raise ValueError("the schema ends with an incomplete statement")
    return found
