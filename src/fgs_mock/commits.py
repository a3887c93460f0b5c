"""Group commit: a 202 leaves only once its call is in the store.

The calls accepted in one turn of the event loop, and in the turn after it, are recorded together, in
one transaction, at the end of that second turn: a file store's commit costs as much as dozens of rows.
The commit stays on the loop's thread: handed to another, it came back only when the loop let go of the
GIL, up to 5 ms later under load.
"""

from __future__ import annotations

import asyncio
import logging
import time

from fgs_mock.engine import LOG_EVERY
from fgs_mock.models import Backend
from fgs_mock.store import Invocation, StoreUnavailable

log = logging.getLogger("fgs_mock")


class GroupCommit:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._waiting: list[asyncio.Future[bool]] = []  # the calls of this turn, until their commit
        self._quiet_until = 0.0  # when a refused commit may be logged again

    async def stored(self) -> bool:
        """Whether every call staged so far is recorded: False when the store refused them.

        Each call waits on a future of its own, so that one cancelled call cancels no other."""
        if self._waiting:
            # The group's loop: asking for the running one costs a getpid() system call, once a request.
            loop = self._waiting[0].get_loop()
        else:
            loop = asyncio.get_running_loop()
            # At the end of the next turn, not this one: the requests that arrive meanwhile join the group.
            # At 10 connections, groups grew from 4-5 calls to all 10, and a file store's CPU per call fell
            # by a fifth.
            loop.call_soon(loop.call_soon, self._commit)
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(waiter)
        return await waiter

    def _commit(self) -> None:
        waiting, self._waiting = self._waiting, []
        stored = self._record(self._backend.take_staged())
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(stored)

    def _record(self, staged: list[Invocation]) -> bool:
        """Record one group; False (and a log line now and then) when the store refused it."""
        try:
            if staged:
                self._backend.engine.accept(staged)
        except StoreUnavailable as exc:
            # Not a line per group: under load a full disk refuses thousands, and near the edge some fit.
            now = time.monotonic()
            if now >= self._quiet_until:
                log.error("the store cannot record calls (%s); answering 503 with Retry-After until it can", exc)
                self._quiet_until = now + LOG_EVERY
            return False
        except Exception:
            log.exception("the store refused a group of accepted invocations; they were answered 503")
            return False
        return True
