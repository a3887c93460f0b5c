"""The file store under a real kill: every 202 survives SIGKILL, once; workers on one file agree."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from contract_tests.reliability.harness import wait_for
from contract_tests.support.mock_process import mock as mock_process
from contract_tests.support.processes import children_of
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, SqliteStore
from fgs_mock.store import STATUSES

P = DEFAULT_PROJECT_ID
SLOW = f"{P}:default:slow:latest"


@contextmanager
def mock(*flags: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with mock_process(*flags, stop=signal.SIGTERM, stop_within=10) as running:
        yield running.process, running.url


def _invoke(client: httpx.Client, name: str) -> str:
    url = f"/v2/{P}/fgs/functions/{quote(name, safe='')}/invocations-async"
    answer = client.post(url, json={"n": 1}, headers={"X-Auth-Token": DEFAULT_TOKEN})
    assert answer.status_code == 202
    request_id: str = answer.json()["request_id"]
    return request_id


def _listing(url: str) -> tuple[dict[str, Any], list[str]]:
    ids: list[str] = []
    marker: str | None = None
    with httpx.Client(base_url=url, timeout=5) as client:
        while True:
            page = client.get("/_mock/invocations", params={"limit": 1000, **({"marker": marker} if marker else {})})
            body = page.json()
            ids += [i["request_id"] for i in body["invocations"]]
            marker = body["next_marker"]
            if marker is None:
                return body, ids


def test_every_202_survives_sigkill_once(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    acked: list[str] = []
    with mock("--store", db, "--function", f"{SLOW}=succeed,duration=60,concurrency=3") as (process, url):

        def load() -> None:
            with httpx.Client(base_url=url, timeout=5) as client:
                for n in range(100_000):
                    try:
                        request_id = _invoke(client, "slow" if n % 3 else "hello")
                    except httpx.TransportError:
                        return
                    acked.append(request_id)

        sender = threading.Thread(target=load)
        sender.start()
        while len(acked) < 300:
            time.sleep(0.01)
        killed_at = time.time()
        os.kill(process.pid, signal.SIGKILL)
        sender.join(timeout=10)
    with mock("--store", db) as (_, url):
        counters, ids = _listing(url)
        assert set(acked) <= set(ids)
        assert len(ids) == len(set(ids)) == counters["accepted"] == counters["retained"]
        assert set(counters["statuses"]) <= set(STATUSES)
        deadline = time.monotonic() + 5
        while counters["statuses"].get("RUNNING", 0) < 3 and time.monotonic() < deadline:
            counters, _ = _listing(url)
    # The slow runs that were RUNNING at the kill queued again, and the new process started them anew.
    runs = [SqliteStore(path=db).run(i) for i in ids]
    running = [r for r in runs if r and r.status == "RUNNING" and r.function == SLOW]
    assert len(running) == 3
    assert all(r.start_time is not None and r.start_time > killed_at for r in running)


def test_two_workers_on_one_file_agree_and_run_each_invocation_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with mock("--store", str(db), "--workers", "2", "--speed", "20") as (process, url):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = time.monotonic() + 5
        while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(children.read_text().split()) == 2
        acked = []
        for _ in range(40):  # a fresh connection each time: either worker may take it
            with httpx.Client(base_url=url, timeout=5) as client:
                acked += [_invoke(client, "hello") for _ in range(5)]
        deadline = time.monotonic() + 5
        while True:
            views = []
            for _ in range(8):
                with httpx.Client(base_url=url, timeout=5) as client:
                    body = client.get("/_mock/invocations", params={"limit": 1}).json()
                    views.append((body["accepted"], body["retained"], body["statuses"]))
            if views[0][2] == {"SUCCESS": 200} or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert views == [(200, 200, {"SUCCESS": 200})] * 8
    store = SqliteStore(path=db)
    runs = [store.run(i) for i in acked]
    assert {(r.status, r.attempts) if r else None for r in runs} == {("SUCCESS", 1)}


def _statuses(url: str, calls: int) -> list[int]:
    """Answers to `calls` invocations, each over a fresh connection, so that either worker may answer."""
    path = f"/v2/{P}/fgs/functions/hello/invocations-async"
    found = []
    for _ in range(calls):
        with httpx.Client(base_url=url, timeout=5, headers={"X-Auth-Token": DEFAULT_TOKEN}) as client:
            found.append(client.post(path, json={"n": 1}).status_code)
    return found


def test_a_fault_plan_set_through_one_worker_applies_to_every_worker(tmp_path: Path) -> None:
    with mock("--store", str(tmp_path / "shared.db"), "--workers", "2") as (_, url):
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.post("/_mock/faults", json={"status": 503, "next": 5}).status_code == 204
        answers = _statuses(url, 20)
        assert answers.count(503) == 5, answers  # "next" counts down in the store: exactly 5, not 5 per worker
        assert answers[:5] == [503] * 5
        assert set(answers[5:]) == {202}
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.post("/_mock/faults", json={"status": 500, "share": 1.0}).status_code == 204
        assert _statuses(url, 20) == [500] * 20  # a worker with a plan of its own would have answered 202
        plans = []
        for _ in range(8):
            with httpx.Client(base_url=url, timeout=5) as client:
                plans.append(client.get("/_mock/faults").json())
        assert plans == [{"status": 500, "next": 0, "share": 1.0}] * 8


def _serving(pid: int) -> bool:
    """The worker opened the store and its event loop waits for connections: it has done all it does at start."""
    try:
        return "-faults" in Path(f"/proc/{pid}/maps").read_text() and Path(f"/proc/{pid}/wchan").read_text() == (
            "do_epoll_wait"
        )
    except FileNotFoundError:
        return False


def test_a_worker_started_in_place_of_a_dead_one_keeps_what_the_control_api_set(tmp_path: Path) -> None:
    bad = f"{P}:default:bad:latest"
    flags = ("--fail-status", "429", "--function", "bad=fail")
    with mock("--store", str(tmp_path / "shared.db"), "--workers", "2", *flags) as (process, url):
        wait_for(lambda: len(children_of(process.pid)) == 2, 30, "two workers")
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.post("/_mock/faults", json={"status": 503, "next": 3, "share": 1.0}).status_code == 204
            behaviour = {"urn": "bad", "project_id": P, "behaviour": "succeed"}
            assert client.post("/_mock/functions", json=behaviour).status_code == 201
        victim = min(children_of(process.pid))
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(children_of(process.pid) - {victim}) == 2, 30, "a worker in place of the dead one")
        wait_for(lambda: all(_serving(pid) for pid in children_of(process.pid)), 30, "both workers serving")
        # The flags' plan and behaviour were written once, before the workers: the new one wrote neither again.
        assert _statuses(url, 10) == [503] * 10
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.get("/_mock/faults").json() == {"status": 503, "next": 0, "share": 1.0}
            assert client.get("/_mock/functions").json()["behaviours"][bad]["outcome"] == "succeed"
