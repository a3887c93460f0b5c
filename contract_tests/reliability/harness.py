"""Real mock processes, a bounded load over real sockets, and what the store holds afterwards."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from contract_tests.support.mock_process import ROOT, mock_command, mock_env
from contract_tests.support.mock_process import Mock as Mock
from contract_tests.support.mock_process import mock as mock
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

P = DEFAULT_PROJECT_ID
HELLO = f"{P}:default:hello:latest"
INVOKE = f"/v2/{P}/fgs/functions/hello/invocations-async"
# Every call kept, every run over at once, none waiting for a slot: what is stored and run can be counted.
KEEP_ALL = ("--max-invocations", str(2**31 - 1), "--max-invocation-bytes", str(2**31 - 1))
QUICK = ("--function", f"{HELLO}=succeed,duration=0,concurrency=100000")
CONNECTIONS = 64


def refused(*flags: str) -> subprocess.CompletedProcess[str]:
    """A mock that must not start: its exit status and output."""
    return subprocess.run(
        mock_command(*flags),
        cwd=ROOT,
        env=mock_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for(
    condition: Callable[[], bool], seconds: float, what: str, seen: Callable[[], object] | None = None
) -> None:
    """Poll `condition`; on timeout, fail saying what was awaited and, from `seen`, what there was instead."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}" + ("" if seen is None else f"; found {seen()}"))
        time.sleep(0.02)


@dataclass
class Load:
    """CONNECTIONS clients posting calls as fast as the mock answers, until stopped or out of time."""

    url: str
    body: bytes = b'{"n": 1}'
    connections: int = CONNECTIONS
    acked: list[str] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # connections refused or cut: no answer, so nothing promised
    first_503: tuple[dict[str, str], Any] | None = None
    sent_at: list[float] = field(default_factory=list)  # when each acked call was sent (monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, seconds: float) -> Load:
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(seconds),), daemon=True)
        self._thread.start()
        return self

    def acked_since(self, moment: float) -> set[str]:
        """The calls answered 202 that were sent after `moment`."""
        return {i for i, t in zip(list(self.acked), list(self.sent_at), strict=False) if t > moment}

    def join(self) -> None:
        self.stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)
        assert not self._thread.is_alive()

    async def _run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        connector = aiohttp.TCPConnector(limit=self.connections)
        timeout = aiohttp.ClientTimeout(total=10)
        headers = {"X-Auth-Token": DEFAULT_TOKEN, "Content-Type": "application/json"}
        async with aiohttp.ClientSession(self.url, connector=connector, timeout=timeout, headers=headers) as session:
            await asyncio.gather(*(self._client(session, deadline) for _ in range(self.connections)))

    async def _client(self, session: aiohttp.ClientSession, deadline: float) -> None:
        while not self.stop.is_set() and time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                async with session.post(INVOKE, data=self.body) as answer:
                    data = await answer.read()
                    self.answers[answer.status] += 1
                    if answer.status == 202:
                        self.acked.append(json.loads(data)["request_id"])
                        self.sent_at.append(sent)
                    elif answer.status == 503 and self.first_503 is None:
                        self.first_503 = (dict(answer.headers), json.loads(data))
            except (aiohttp.ClientError, TimeoutError):
                self.failures += 1
                await asyncio.sleep(0.02)  # the mock is down: no busy loop against a closed port


def listing(url: str) -> tuple[dict[str, Any], list[str]]:
    """`GET /_mock/invocations`, every page: the last page's body and every request_id, oldest first."""
    ids: list[str] = []
    marker: str | None = None
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            params: dict[str, str | int] = {"limit": 1000, **({"marker": marker} if marker else {})}
            body = client.get("/_mock/invocations", params=params).json()
            ids += [i["request_id"] for i in body["invocations"]]
            marker = body["next_marker"]
            if marker is None:
                return body, ids


def statuses(url: str) -> dict[str, int]:
    with httpx.Client(base_url=url, timeout=30) as client:
        found: dict[str, int] = client.get("/_mock/invocations", params={"limit": 1}).json()["statuses"]
    return found


def all_final(url: str) -> bool:
    counts = statuses(url)
    return not counts.get("WAIT") and not counts.get("RUNNING")
