"""How the fixture stores were made; run once per release, never by the tests.

`python -m contract_tests.reliability.make_fixture_store OUT.db` writes a small store with the code
installed at the time: runs in every status, a function with a behaviour, an async config, a
notification and a fault plan. `store-v0.db` was written at commit 5085fd5 (the release before schema
versions), `store-v3.db` by the release that added them (versions 1 to 3), and `store-v6.db` at the end
of issue 19 (version 6), for the next schema step to migrate. Only the store's public API is used, so
the script runs unchanged on all three.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from fgs_mock.behaviour import Behaviour
from fgs_mock.engine import Engine
from fgs_mock.models import DEFAULT_PROJECT_ID
from fgs_mock.store import Invocation, SqliteStore
from fgs_mock.urn import FunctionRef

T0 = 1_780_000_000.0  # a fixed moment, so two runs of the script write the same rows but for ids


def main(out: str) -> None:
    Path(out).unlink(missing_ok=True)
    store = SqliteStore(path=out)
    hello = FunctionRef(DEFAULT_PROJECT_ID, "default", "hello", "latest")
    slow = FunctionRef(DEFAULT_PROJECT_ID, "default", "slow", "latest")
    store.put_function(hello, Behaviour().to_json())
    store.put_function(slow, Behaviour(duration=3600, concurrency=1).to_json())
    doc = {
        "max_async_event_age_in_seconds": 60,
        "max_async_retry_attempts": 1,
        "destination_config": {"on_success": {"destination": "OBS", "param": json.dumps({"bucket": "b"})}},
    }
    store.put_config(hello.short_urn, json.dumps(doc), T0)
    store.put_faults(
        json.dumps(
            {"status": 503, "retry_after": 2, "delay": 0.0, "drop": False, "stall": False, "share": 0.0, "seed": None}
        ),
        3,
    )
    clock = [T0]
    engine = Engine(store, clock=lambda: clock[0])
    for n in range(6):
        store.add(
            Invocation(
                f"00000000-0000-4000-8000-00000000000{n}",
                DEFAULT_PROJECT_ID,
                hello if n < 3 else slow,
                json.dumps({"n": n}).encode(),
                T0 + n,
            )
        )
    clock[0] = T0 + 10
    engine.step()  # hello: three RUNNING; slow: one RUNNING, two WAIT
    clock[0] = T0 + 11
    engine.step()  # hello: three SUCCESS (and their notifications)
    engine.cancel(slow.short_urn, "00000000-0000-4000-8000-000000000005")  # a waiting one: FAIL 4208
    store.add(Invocation("00000000-0000-4000-8000-000000000006", DEFAULT_PROJECT_ID, hello, b"{}", T0 + 12))
    clock[0] = T0 + 100
    engine.step()  # the last hello call is 88 s old, past its 60 s: DISCARD
    store.close()
    db = sqlite3.connect(out)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()  # the last connection: the WAL is folded in and removed, one file remains


if __name__ == "__main__":
    main(sys.argv[1])
