"""Request ids: version-7 UUIDs, in time order, never repeated, in threads and across a fork."""

from __future__ import annotations

import itertools
import os
import re
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from fgs_mock import ids


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


def test_threads_that_make_ids_at_once_never_get_the_same_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # One millisecond for all, so that two ids differ only if their random ends do; and threads switched
    # every microsecond, so that they interleave inside the generator.
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: 1_700_000_000_000_000_000))
    interval = sys.getswitchinterval()
    made: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def make(into: list[str]) -> None:
        start.wait()
        into.extend(ids.uuid7() for _ in range(20_000))  # 20,000: the chunk of random bits runs out often

    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=make, args=(into,)) for into in made]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
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
