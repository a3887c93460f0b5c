"""One mock per store file: an exclusive lock that its worker processes share, and nobody else."""

from __future__ import annotations

import fcntl
import os

from fgs_mock.store.schema import UnusableStore


def hold(path: str) -> int:
    """Lock `path` for this process and the workers it forks (they inherit the descriptor); the descriptor.

    An advisory flock, apart from SQLite's own fcntl locks: a second mock on the file would recover the
    first one's running runs as if they were a dead process's, so it is refused instead.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UnusableStore(f"cannot open it: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise UnusableStore("another fgs-mock is using it: one mock per file, --workers N for more") from None
    return fd
