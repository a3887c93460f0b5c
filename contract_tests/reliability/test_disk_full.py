"""A full disk: no 202 for a call that was not stored, a documented 503 instead, and nothing lost.

Two ways to fill it, through the same code (SQLite's SQLITE_FULL): a small tmpfs that a filler file
fills (needs root, to mount), and the store's own cap, `--max-store-bytes` (SQLite's max_page_count).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from contract_tests.reliability.harness import KEEP_ALL, QUICK, Load, Mock, P, listing, mock, wait_for
from fgs_mock import DEFAULT_TOKEN
from fgs_mock.store.signal import SideFile

BODY = b'{"pad": "' + b"x" * 4000 + b'"}'  # fills the disk within a second or so of load


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the --max-store-bytes variant covers the same code")
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(path: Path) -> None:
    """Write `path` until the filesystem has no room left."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return


def _logged_once_per_outage(running: Mock, load: Load) -> None:
    said = sum("cannot record calls" in line for line in running.lines)
    assert said == 1, running.lines  # once in 10 s, not once per refused call
    assert load.answers[503] >= 200


def _queries_answer(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30, headers={"X-Auth-Token": DEFAULT_TOKEN}) as client:
        assert client.get("/_mock/invocations", params={"limit": 1}).status_code == 200
        answer = client.get(f"/v2/{P}/fgs/functions/hello/async-invocations", params={"limit": 1})
        assert answer.status_code == 200
        assert answer.json()["count"] > 0
        # A write the lifecycle pages document no 503 for gets their server error, or, if it still fit
        # (a small update may, in a page the file already has), a 200 that is true.
        path = f"/v2/{P}/fgs/functions/hello/async-invoke-config"
        config = client.put(path, json={"max_async_retry_attempts": 2})
        if config.status_code == 200:
            assert client.get(path).json()["max_async_retry_attempts"] == 2
        else:
            assert (config.status_code, config.json()["error_code"]) == (500, "FSS.0500")
            assert config.headers["Retry-After"].isdigit()


def _through_a_full_disk(running: Mock, load: Load, fill: Callable[[], None], free: Callable[[], None]) -> float:
    """Load, fill, check the 503s and the queries, free: when the space came back (monotonic)."""
    wait_for(lambda: len(load.acked) >= 100, 30, "calls accepted before the disk fills")
    fill()
    wait_for(lambda: load.answers[503] >= 200, 30, "503s once the disk is full")
    assert load.first_503 is not None
    headers, body = load.first_503
    assert headers.get("Retry-After", "").isdigit(), headers
    assert set(body) == {"error_code", "error_msg"}, body
    assert body["error_code"] == "FSS.0503"
    assert running.process.poll() is None
    _queries_answer(running.url)
    # Taken first: a small call may still fit while the listing is read, and its 202 come after it.
    acked = set(load.acked)
    counters, ids = listing(running.url)
    assert acked <= set(ids)
    assert len(ids) == len(set(ids)) == counters["retained"]
    free()
    freed = time.monotonic()
    wait_for(lambda: len(load.acked_since(freed)) >= 50, 30, "calls accepted again once there is room")
    return freed


def test_a_full_tmpfs_answers_503_and_loses_no_202(tmp_path: Path) -> None:
    # Room for the store to fold its WAL into the database once the filler is gone: SQLite needs both.
    with _tmpfs(tmp_path / "small", "16m") as disk:
        db = str(disk / "mock.db")
        with mock("--store", db, *KEEP_ALL, *QUICK) as running:
            # The fault plan's cell is mapped in memory: allocated at start, so a full disk cannot SIGBUS it.
            assert os.stat(db + "-faults").st_blocks > 0
            load = Load(running.url, BODY).start(seconds=60)
            filler = disk / "filler"

            def fill() -> None:
                _fill(filler)
                # A side file made now cannot be allocated: refused at once with ENOSPC, not a SIGBUS later.
                with pytest.raises(OSError, match="No space left"):
                    SideFile(str(disk / "another-faults"))

            _through_a_full_disk(running, load, fill, filler.unlink)
            load.join()
            os.kill(running.process.pid, signal.SIGKILL)
        _logged_once_per_outage(running, load)
        with mock("--store", db, *KEEP_ALL, *QUICK) as again:
            counters, ids = listing(again.url)
        assert set(load.acked) <= set(ids)
        assert len(ids) == len(set(ids)) == counters["accepted"]


def test_a_store_at_its_size_cap_answers_503_and_loses_no_202(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    with mock("--store", db, "--max-store-bytes", str(1024 * 1024), *KEEP_ALL, *QUICK) as running:
        load = Load(running.url, BODY).start(seconds=60)

        def free() -> None:
            # Space comes back the way a user makes it: the recorded calls are forgotten.
            with httpx.Client(base_url=running.url, timeout=30) as client:
                assert client.delete("/_mock/invocations").status_code == 204

        freed = _through_a_full_disk(running, load, lambda: None, free)
        load.join()
        os.kill(running.process.pid, signal.SIGKILL)
    _logged_once_per_outage(running, load)
    after = load.acked_since(freed)  # sent after the store was emptied
    assert after
    with mock("--store", db, *KEEP_ALL, *QUICK) as again:
        counters, ids = listing(again.url)
    assert after <= set(ids)
    assert len(ids) == len(set(ids)) == counters["retained"]


def test_the_fault_plan_cell_is_allocated_before_anything_is_written_to_it(tmp_path: Path) -> None:
    """A mapped page the filesystem has not allocated yet is what a full disk turns into SIGBUS."""
    side = SideFile(str(tmp_path / "mock.db-faults"))
    try:
        assert os.stat(tmp_path / "mock.db-faults").st_blocks > 0
        assert (side.faults.read(), side.settings.read()) == (0, 0)
    finally:
        side.close()
