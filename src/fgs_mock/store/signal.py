"""What processes sharing a file store use besides SQLite, in one small file beside it.

- Version numbers they read without a query: mmapped 8-byte cells, one for the fault plan and one for
  the functions and their configs. Reading one is a memory load, so a worker can check on every call
  (or group of calls) whether another one changed them, and query SQLite only when it did.
- A queue for the write lock: an flock of that file (see `SideFile`).
"""

from __future__ import annotations

import fcntl
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager

SIZE = 8
FAULTS, SETTINGS = 0, 1  # the cells: the fault plan's version, and that of the functions and configs
CELLS = 2


class VersionCell:
    """One version number in the side file's map: a memory load to read, a store to write."""

    def __init__(self, cells: mmap.mmap, cell: int) -> None:
        self._map = cells
        self._at = cell * SIZE

    def read(self) -> int:
        return int.from_bytes(self._map[self._at : self._at + SIZE], "little")

    def write(self, version: int) -> None:
        self._map[self._at : self._at + SIZE] = version.to_bytes(SIZE, "little")


class SideFile:
    """The side file of one store, opened once: its version cells, mapped, and its flock.

    The writers of one store file queue on that flock before BEGIN IMMEDIATE. SQLite's own wait for its
    write lock polls, sleeping 1 ms and more between tries: with `--workers 2` at 10 connections those
    sleeps made a p99 of 15-30 ms, and a third of the throughput was lost. The kernel hands an flock to
    its next waiter as soon as it is released, and releases it when its holder dies. A writer that does
    not queue (another program on the file) is still waited for by SQLite. A process stopped while it
    writes (SIGSTOP, a debugger) holds the others until it resumes or dies.
    """

    def __init__(self, path: str) -> None:
        # A descriptor per store: an flock belongs to an open file, so no two stores may share one.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            # Allocated, not just sized: a sparse page first written on a full disk raises SIGBUS in
            # the process, where allocating now fails here, with ENOSPC, before anything is served.
            os.posix_fallocate(fd, 0, CELLS * SIZE)
            self._map = mmap.mmap(fd, CELLS * SIZE)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.faults = VersionCell(self._map, FAULTS)
        self.settings = VersionCell(self._map, SETTINGS)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """This process's turn to write the store, behind the others in the queue."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Once: the store closes it, and so does its finalizer when the store was dropped unclosed."""
        if self._fd >= 0:
            self._map.close()
            os.close(self._fd)
            self._fd = -1
