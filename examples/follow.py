"""Follow runs to their end: one that succeeds, one that fails, one canceled while it waits; then list.

    fgs-mock --function broken=fail,code=4001 --function slow=succeed,duration=5,concurrency=1 &
    python examples/follow.py

FGS_FUNCTION_URN succeeds, FGS_FAILING_URN fails, FGS_SLOW_URN runs one at a time; the credentials
variables are those of invoke.py. Each one not set falls back to what the `fgs-mock` line above serves.
"""

from __future__ import annotations

import os
import sys

import fgs

ENDPOINT = os.environ.get("FGS_ENDPOINT", "http://127.0.0.1:8080")
PROJECT_ID = os.environ.get("FGS_PROJECT_ID", "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60")
TOKEN = os.environ.get("FGS_AUTH_TOKEN", "fgs-mock-token")
FUNCTIONS = f"urn:fss:eu-de:{PROJECT_ID}:function:default"
FUNCTION_URN = os.environ.get("FGS_FUNCTION_URN", f"{FUNCTIONS}:hello:latest")
FAILING_URN = os.environ.get("FGS_FAILING_URN", f"{FUNCTIONS}:broken:latest")
SLOW_URN = os.environ.get("FGS_SLOW_URN", f"{FUNCTIONS}:slow:latest")


def outcome(run: fgs.Invocation) -> str:
    failed = run.status == fgs.InvocationStatus.FAIL
    return f"{run.status} {run.error_code}" if failed else run.status


def main() -> int:
    with fgs.Client(ENDPOINT, PROJECT_ID, TOKEN) as client:
        try:
            for urn in (FUNCTION_URN, FAILING_URN):
                run = client.wait(urn, client.invoke_async(urn, {"order_id": 42}), poll=0.1)
                print(f"{urn.split(':')[-2]}: {outcome(run)}")
            # One run at a time: the second one waits behind the first, until canceled.
            _, waiting = (client.invoke_async(SLOW_URN, {"order_id": n}) for n in (1, 2))
            client.cancel_invocation(SLOW_URN, waiting)
            print(f"slow, canceled: {outcome(client.wait(SLOW_URN, waiting, poll=0.1))}")
            succeeded = client.list_invocations(FUNCTION_URN, status=fgs.InvocationStatus.SUCCESS)
            print(f"hello, runs that succeeded: {sum(1 for _ in succeeded)}")
        except fgs.FgsError as error:
            print(f"failed: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
