"""Queue one run of a function; print its request_id.

    python examples/invoke.py

Credentials come from FGS_ENDPOINT, FGS_PROJECT_ID, FGS_AUTH_TOKEN and FGS_FUNCTION_URN; each one not
set falls back to what `fgs-mock` serves by default on 127.0.0.1:8080.
"""

from __future__ import annotations

import os
import sys

import fgs

ENDPOINT = os.environ.get("FGS_ENDPOINT", "http://127.0.0.1:8080")
PROJECT_ID = os.environ.get("FGS_PROJECT_ID", "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60")
TOKEN = os.environ.get("FGS_AUTH_TOKEN", "fgs-mock-token")
FUNCTION_URN = os.environ.get("FGS_FUNCTION_URN", f"urn:fss:eu-de:{PROJECT_ID}:function:default:hello:latest")


def main() -> int:
    with fgs.Client(ENDPOINT, PROJECT_ID, TOKEN) as client:
        try:
            print(client.invoke_async(FUNCTION_URN, {"order_id": 42}))
        except fgs.ApiError as error:  # a documented refusal
            print(f"refused: {error.status} {error.error_code} {error.error_msg}", file=sys.stderr)
            return 1
        except fgs.FgsError as error:  # no usable answer: the call may or may not have started a run
            print(f"failed: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
