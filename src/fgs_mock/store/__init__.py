"""Where the mock's state goes: the `InvocationStore` protocol and its SQLite implementation.

One store serves both uses: `SqliteStore()` keeps everything in memory, `SqliteStore(path=...)` in a
durable file that several worker processes can share. `InMemoryInvocationStore` is the former's old name.
"""

from fgs_mock.store.protocol import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_INVOCATIONS,
    DISCARD_BATCH,
    MAX_PAGE,
    STATUSES,
    TERMINAL,
    Counters,
    Ending,
    Instant,
    Invocation,
    InvocationStore,
    Notification,
    Page,
    Query,
    Run,
    RunPage,
    Status,
    StoreUnavailable,
)
from fgs_mock.store.sqlite import InMemoryInvocationStore, SqliteStore

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_INVOCATIONS",
    "DISCARD_BATCH",
    "MAX_PAGE",
    "STATUSES",
    "TERMINAL",
    "Counters",
    "Ending",
    "InMemoryInvocationStore",
    "Instant",
    "Invocation",
    "InvocationStore",
    "Notification",
    "Page",
    "Query",
    "Run",
    "RunPage",
    "SqliteStore",
    "Status",
    "StoreUnavailable",
]
