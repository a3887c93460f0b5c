"""Queue 1,000 runs, 16 in flight and at most 200 a second; print how many were accepted.

    python examples/fan_out.py

Same variables and defaults as invoke.py. Outcomes come back in input order: a request_id, or the
fgs.FgsError that payload met; one failure loses nothing else.
"""

from __future__ import annotations

import os
import sys

import fgs
from fgs.fanout import invoke_many

ENDPOINT = os.environ.get("FGS_ENDPOINT", "http://127.0.0.1:8080")
PROJECT_ID = os.environ.get("FGS_PROJECT_ID", "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60")
TOKEN = os.environ.get("FGS_AUTH_TOKEN", "fgs-mock-token")
FUNCTION_URN = os.environ.get("FGS_FUNCTION_URN", f"urn:fss:eu-de:{PROJECT_ID}:function:default:hello:latest")


def main() -> int:
    events = ({"order_id": n} for n in range(1000))  # read as the window frees up, never listed
    failed: list[fgs.FgsError] = []
    with fgs.Client(ENDPOINT, PROJECT_ID, TOKEN) as client:
        for outcome in invoke_many(client, FUNCTION_URN, events, concurrency=16, rate=200):
            if isinstance(outcome, fgs.FgsError):
                failed.append(outcome)
    print(f"accepted {1000 - len(failed)}, failed {len(failed)}")
    for error in failed[:5]:
        print(f"  {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
