"""The `fgs` command as a user runs it: a child process, against a mock served in this process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread

URN = DEFAULT_FUNCTION_URN


@dataclass
class Mock:
    url: str
    backend: Backend

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}
        env |= {"FGS_ENDPOINT": self.url, "FGS_PROJECT_ID": DEFAULT_PROJECT_ID, "FGS_AUTH_TOKEN": DEFAULT_TOKEN}
        return env | overrides

    def seqs(self) -> Counter[int]:
        """How often the mock accepted each event, told apart by the "seq" in its body."""
        return Counter(json.loads(invocation.body)["seq"] for invocation in self.backend.invocations)

    def request_ids(self) -> dict[int, str]:
        return {json.loads(i.body)["seq"]: i.request_id for i in self.backend.invocations}


@contextmanager
def mock() -> Iterator[Mock]:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as url:
        yield Mock(url, backend)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "fgs", *args]


def fgs(args: Sequence[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False)


def write_events(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps({"seq": n}) + "\n" for n in range(count)))
    return path


def journal_rows(path: Path) -> dict[int, tuple[str, str | None]]:
    """line -> (state, request_id), read as any sqlite3 user would."""
    with closing(sqlite3.connect(path)) as db:  # closed: an open reader would keep the next run out
        return {line: (state, rid) for line, state, rid in db.execute("SELECT line, state, request_id FROM events")}
