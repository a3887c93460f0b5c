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
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    def read(self) -> int:
        return int.from_bytes(self._map[:SIZE], "little")

    def write(self, version: int) -> None:
        self._map[:SIZE] = version.to_bytes(SIZE, "little")

    def close(self) -> None:
        self._map.close()
