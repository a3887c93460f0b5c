"""A store the mock cannot use: one line, exit status 2, and the file left exactly as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from contract_tests.reliability.harness import INVOKE, all_final, listing, mock, refused, wait_for
from fgs_mock import DEFAULT_TOKEN


def _refused_untouched(store: Path, *words: str) -> None:
    """Start a mock on `store`: it must refuse with one line naming the store, and change nothing there."""
    folder = store.parent
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    result = refused("--store", str(store))
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"fgs-mock: error: --store {store}: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for word in words:
        assert word in result.stderr
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    store = tmp_path / "notes.txt"
    store.write_bytes(b"not a database, but someone's notes\n" * 100)
    _refused_untouched(store, "not an SQLite database")


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    store = tmp_path / "other.db"
    with closing(sqlite3.connect(store)) as db:
        db.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customer (name) VALUES ('kept')")
        db.commit()
    _refused_untouched(store, "not an fgs-mock store")


def test_a_store_another_mock_is_using_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "mock.db"
    with mock("--store", str(store)) as first:
        with httpx.Client(base_url=first.url, timeout=30) as client:
            answer = client.post(INVOKE, json={"n": 1}, headers={"X-Auth-Token": DEFAULT_TOKEN})
            assert answer.status_code == 202
        wait_for(lambda: all_final(first.url), 30, "the call ended")
        # Frozen, the first mock changes nothing while the second tries: any change would be the second's.
        os.kill(first.process.pid, signal.SIGSTOP)
        try:
            _refused_untouched(store, "another fgs-mock is using it")
        finally:
            os.kill(first.process.pid, signal.SIGCONT)
        # The first mock never noticed: it serves on, and what it stored is still there.
        assert listing(first.url)[1] == [answer.json()["request_id"]]


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """`folder` made unwritable: a read-only mount as root (who ignores mode bits), else mode bits."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount a folder here: {done.stderr.decode().strip()}")
    try:
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make a mount read-only here: {done.stderr.decode().strip()}")
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("existing", [True, False], ids=["existing-store", "new-store"])
def test_a_folder_that_cannot_be_written_is_refused(existing: bool, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    store = folder / "mock.db"
    if existing:
        with mock("--store", str(store)) as running, httpx.Client(base_url=running.url, timeout=30) as client:
            client.post(INVOKE, json={"n": 1}, headers={"X-Auth-Token": DEFAULT_TOKEN})
    with _read_only(folder):
        _refused_untouched(store)
    assert store.exists() == existing
