"""A version number that processes sharing a file store read without a query: an mmapped 8-byte cell.

Reading it is a memory load, so a worker can check on every call whether another one changed the shared
fault plan, and query SQLite only when it did.
"""

from __future__ import annotations

import mmap
import os

SIZE = 8


class VersionCell:
    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # Allocated, not just sized: a sparse page first written on a full disk raises SIGBUS in
            # the process, where allocating now fails here, with ENOSPC, before anything is served.
            os.posix_fallocate(fd, 0, SIZE)
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    def read(self) -> int:
        return int.from_bytes(self._map[:SIZE], "little")

    def write(self, version: int) -> None:
        self._map[:SIZE] = version.to_bytes(SIZE, "little")

    def close(self) -> None:
        self._map.close()
