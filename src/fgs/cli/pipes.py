"""A reader that closes the pipe early (`fgs list URN | head -3`) ends a command quietly."""

from __future__ import annotations

import os
import sys

# What a shell reports for a command killed by SIGPIPE (128 + 13), as `yes | head -1` does; Python
# ignores SIGPIPE and gets BrokenPipeError instead, so the commands say it themselves.
PIPE_CLOSED = 141


def quiet_stdout() -> int:
    """After a BrokenPipeError on stdout: no traceback now, none at interpreter exit. The exit status."""
    # Python flushes stdout again at exit, and would report the same broken pipe there.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
    return PIPE_CLOSED
