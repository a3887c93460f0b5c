"""When a failed call may be sent again.

A 202 starts a function run, so a retry must never risk a second run. Retried are only the answers
that say the call was not taken (429 Too Many Requests, 503 Service Unavailable) and connection
failures before the request left this process. A 500, a read timeout or a dropped connection may come
after the service accepted the call: sending again could run the function twice, so those are raised.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total time.

    Attempt n (from 1) waits uniformly up to min(backoff_max, backoff_base * 2**(n-1)) before the next,
    or what Retry-After asks if that is longer, as long as the wait fits in max_total seconds.
    """

    max_attempts: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 4.0
    max_total: float = 20.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        times = (self.backoff_base, self.backoff_max, self.max_total)
        if not all(math.isfinite(t) and t >= 0 for t in times):
            raise ValueError("backoff and total time must be finite and >= 0")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def delay(self, attempt: int, elapsed: float, retry_after: str | None) -> float | None:
        """Seconds to wait before attempt+1, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        wait = self.rng.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
        asked = parse_retry_after(retry_after)
        if asked is not None:
            wait = max(wait, asked)
        return wait if elapsed + wait <= self.max_total else None


NO_RETRY = RetryPolicy.disabled()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date. Unusable values count as absent."""
    if value is None:
        return None
    value = value.strip(" \t")
    # str.isdigit() alone also accepts '²' and other scripts' digits, which int() reads or chokes on.
    if value.isascii() and value.isdigit():
        seconds = float(value) if len(value) <= 12 else math.inf
    elif value.isascii():
        seconds = _seconds_until(value, time.time() if now is None else now)
    else:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, now: float) -> float:
    from email.utils import parsedate_to_datetime  # rare path; keeps `import fgs` light

    try:
        when = parsedate_to_datetime(http_date)
        if when.tzinfo is None:
            return math.nan
        return when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return math.nan
