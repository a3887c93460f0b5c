"""Stores from older releases: migrated step by step (PRAGMA user_version), never misread; newer ones refused."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from contract_tests.reliability.harness import P, all_final, listing, mock, refused, wait_for
from fgs_mock.store import Invocation, Run, SqliteStore, schema
from fgs_mock.urn import FunctionRef

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_780_000_000.0  # make_fixture_store.T0
HELLO, SLOW = f"{P}:default:hello:latest", f"{P}:default:slow:latest"
CANCELED = "function invocation canceled"
DISCARDED = "event discarded: older than max_async_event_age_in_seconds"


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-00000000000{n}"


# What make_fixture_store wrote, run by run: any release must read each field back as it was.
EXPECTED = [
    Run(_id(0), HELLO, "SUCCESS", T0, 1, T0 + 10, T0 + 11, 0, ""),
    Run(_id(1), HELLO, "SUCCESS", T0 + 1, 1, T0 + 10, T0 + 11, 0, ""),
    Run(_id(2), HELLO, "SUCCESS", T0 + 2, 1, T0 + 10, T0 + 11, 0, ""),
    Run(_id(3), SLOW, "RUNNING", T0 + 3, 1, T0 + 10, None, None, None),
    Run(_id(4), SLOW, "WAIT", T0 + 4, 0, None, None, None, None),
    Run(_id(5), SLOW, "FAIL", T0 + 5, 0, None, T0 + 11, 4208, CANCELED),
    Run(_id(6), HELLO, "DISCARD", T0 + 12, 0, None, T0 + 100, -1, DISCARDED),
]


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


@pytest.mark.parametrize(("fixture", "version"), [("store-v0.db", 0), ("store-v3.db", 3), ("store-v6.db", 6)])
def test_a_store_of_an_earlier_release_is_migrated_and_read_as_written(
    fixture: str, version: int, tmp_path: Path
) -> None:
    db = _copy(fixture, tmp_path)
    assert _user_version(db) == version
    store = SqliteStore(path=db)
    try:
        assert store.migrated_from == version
        assert [store.run(_id(n)) for n in range(7)] == EXPECTED
        assert [(i.request_id, i.body) for i in store] == [(_id(n), f'{{"n": {n}}}'.encode()) for n in range(6)] + [
            (_id(6), b"{}")
        ]
        assert store.status_counts() == {"DISCARD": 1, "FAIL": 1, "RUNNING": 1, "SUCCESS": 3, "WAIT": 1}
        assert [(n.request_id, n.destination) for n in store.notifications()] == [(_id(n), "OBS") for n in range(3)]
        assert store.faults()[2] == 3
    finally:
        store.close()
    assert _user_version(db) == schema.VERSION
    # And the mock serves it: the run cut short queues again, and what waited an hour too long is discarded.
    with mock("--store", str(db)) as running:
        wait_for(lambda: all_final(running.url), 30, "every run of the old store ended")
        counters, ids = listing(running.url)
        assert ids == [_id(n) for n in range(7)]
        assert counters["statuses"] == {"DISCARD": 3, "FAIL": 1, "SUCCESS": 3}
        with httpx.Client(base_url=running.url, timeout=30) as client:
            assert len(client.get("/_mock/notifications").json()["notifications"]) == 3
            config = client.get(
                f"/v2/{P}/fgs/functions/hello/async-invoke-config", headers={"X-Auth-Token": "fgs-mock-token"}
            ).json()
            assert config["max_async_event_age_in_seconds"] == 60


def test_a_store_newer_than_the_mock_is_refused_with_one_line_and_left_as_it_was(tmp_path: Path) -> None:
    db = _copy("store-v3.db", tmp_path)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    before = db.read_bytes()
    result = refused("--store", str(db))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"schema version is {schema.VERSION + 1}, newer than the {schema.VERSION}" in result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store-v3.db"]


def test_a_migration_that_fails_leaves_the_store_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _copy("store-v0.db", tmp_path)
    broken = schema.Step("a step that cannot apply", ("ALTER TABLE no_such_table ADD COLUMN x INTEGER",))
    monkeypatch.setattr(schema, "STEPS", (*schema.STEPS, broken))
    monkeypatch.setattr(schema, "VERSION", len(schema.STEPS))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        SqliteStore(path=db)
    assert _user_version(db) == 0
    with closing(sqlite3.connect(db)) as conn:  # the first step, in the same transaction, was undone too
        assert "owner" not in {row[1] for row in conn.execute("PRAGMA table_info(invocation)")}


@pytest.mark.parametrize("fixture", ["store-v0.db", "store-v3.db"])
def test_one_more_step_takes_every_older_store_to_the_next_version(
    fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next schema change is one Step appended: each older file runs the steps it lacks, in order."""
    db = _copy(fixture, tmp_path)
    added = schema.Step("runs keep their result", ("ALTER TABLE invocation ADD COLUMN result BLOB",))
    monkeypatch.setattr(schema, "STEPS", (*schema.STEPS, added))
    monkeypatch.setattr(schema, "VERSION", len(schema.STEPS))
    store = SqliteStore(path=db)
    store.close()
    assert _user_version(db) == len(schema.STEPS)
    with closing(sqlite3.connect(db)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(invocation)")}
    assert {"owner", "result"} <= columns


@pytest.mark.parametrize("fixture", [None, "store-v0.db", "store-v3.db", "store-v6.db"], ids=["new", "v0", "v3", "v6"])
def test_every_store_indexes_its_runs_by_a_number_for_each_function(fixture: str | None, tmp_path: Path) -> None:
    # An URN in each entry of two indexes made a commit of twelve calls write 25 pages; numbers, 20 (version 4).
    db = tmp_path / "new.db" if fixture is None else _copy(fixture, tmp_path)
    SqliteStore(path=db).close()
    with closing(sqlite3.connect(db)) as conn:
        indexed = {name: [row[2] for row in conn.execute(f"PRAGMA index_info({name})")] for name in INDEXES}
        due, listed = (
            conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
            for name in ("by_due", "by_status")
        )
        # Version 5: no run that succeeded in by_status or in the tally (SUCCESS is the rest of `retained`).
        tally = dict(conn.execute("SELECT status, n FROM status_count WHERE n <> 0"))
        recount = dict(
            conn.execute("SELECT status, COUNT(*) FROM invocation WHERE status <> 'SUCCESS' GROUP BY status")
        )
        # Each run numbered as its own function, and one number a function.
        misnumbered = conn.execute(
            "SELECT COUNT(*) FROM invocation LEFT JOIN fn_id ON fn_id.id = invocation.fid "
            "WHERE fn_id.fn IS NULL OR fn_id.fn <> invocation.fn"
        ).fetchone()[0]
        numbers, functions = conn.execute(
            "SELECT (SELECT COUNT(*) FROM fn_id), (SELECT COUNT(DISTINCT fn) FROM invocation)"
        ).fetchone()
    assert indexed == INDEXES
    assert due.endswith("WHERE status = 'RUNNING'")
    assert listed.endswith("WHERE status <> 'SUCCESS'")
    assert tally == recount == ({} if fixture is None else {"DISCARD": 1, "FAIL": 1, "RUNNING": 1, "WAIT": 1})
    assert misnumbered == 0
    assert numbers == functions == (0 if fixture is None else 2)


INDEXES = {"by_function": ["fid", "seq"], "by_status": ["status", "fid", "seq"], "by_due": ["fid", "due_at"]}


@pytest.mark.parametrize("fixture", ["store-v0.db", "store-v3.db"])
def test_an_older_store_numbers_its_next_call_past_every_number_it_gave(fixture: str, tmp_path: Path) -> None:
    # Version 6: a call's seq is its number in counters.accepted, where AUTOINCREMENT gave it; a marker
    # handed out before the migration must not skip a call accepted after it. The count, set behind the
    # numbers given (as a file changed by hand might have it), must not matter.
    db = _copy(fixture, tmp_path)
    with closing(sqlite3.connect(db)) as conn:
        given = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'invocation'").fetchone()[0]
        conn.execute("UPDATE counters SET accepted = 0")
        conn.commit()
    store = SqliteStore(path=db)
    try:
        store.add(Invocation(_id(9), P, FunctionRef(P, "default", "hello", "latest"), b"{}", T0 + 200))
        assert store.page(100, str(given)).invocations[-1].request_id == _id(9)
    finally:
        store.close()
    with closing(sqlite3.connect(db)) as conn:
        table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'invocation'").fetchone()[0]
        numbered = conn.execute("SELECT name FROM sqlite_sequence").fetchall()
        seq, accepted = conn.execute(
            "SELECT seq, (SELECT accepted FROM counters) FROM invocation WHERE request_id = ?", (_id(9),)
        ).fetchone()
    assert "AUTOINCREMENT" not in table
    assert numbered == [("notification",)]
    assert seq == accepted == given + 1
