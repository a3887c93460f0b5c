"""What authenticating one request costs, in-process: fgs's token and signing paths, the SDK's signer, the mock's check.

Standalone (not part of `make bench`): `.venv/bin/python scripts/bench_signing.py [calls]`. Prints
microseconds per call, the median of several rounds.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fgs.credentials import AccessKey, Token
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID
from fgs_mock.auth import KeyRing

AK, SK = "BENCHAK" * 3, "BENCHSK" * 6
URL = (
    f"http://127.0.0.1:8080/v2/{DEFAULT_PROJECT_ID}/fgs/functions/"
    f"{quote(DEFAULT_FUNCTION_URN, safe='')}/invocations-async"
)
HEADERS = {"Content-Type": "application/json", "User-Agent": "fgs"}
BODY = b'{"body": {"k": "v"}}'
ROUNDS = 7


def _sdk_signer() -> Callable[[], object]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest

    credentials = BasicCredentials(AK, SK, DEFAULT_PROJECT_ID)
    parts = urlsplit(URL)

    def sign() -> object:
        request = SdkRequest(
            "POST", "http", parts.netloc, parts.path, query_params=[], header_params=dict(HEADERS), body=BODY
        )
        return credentials.sign_request(request)

    return sign


def candidates() -> dict[str, Callable[[], object]]:
    token, key = Token("bench-token"), AccessKey(AK, SK)
    ring = KeyRing(max_skew=float("inf"))
    ring.add(AK, SK, DEFAULT_PROJECT_ID)
    signed = {**HEADERS, **key.apply("POST", URL, HEADERS, BODY, project_id=DEFAULT_PROJECT_ID)}
    path = urlsplit(URL).path
    return {
        "fgs Token.apply": lambda: token.apply("POST", URL, HEADERS, BODY, project_id=DEFAULT_PROJECT_ID),
        "fgs AccessKey.apply (sign)": lambda: key.apply("POST", URL, HEADERS, BODY, project_id=DEFAULT_PROJECT_ID),
        "official SDK sign_request": _sdk_signer(),
        "fgs_mock KeyRing.verify": lambda: ring.verify("POST", path, "", signed, BODY),
    }


def measure(calls: int = 20_000) -> dict[str, float]:
    """Median microseconds per call of each candidate, the candidates taking turns round by round."""
    runs = candidates()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, call in runs.items():
            start = time.perf_counter()
            for _ in range(calls):
                call()
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    results = measure(calls)
    print(f"| in-process, per call (median of {ROUNDS} rounds of {calls}) | µs |")
    print("| --- | ---: |")
    for name, micros in results.items():
        print(f"| {name} | {micros:.1f} |")


if __name__ == "__main__":
    main()
