"""How a registered function behaves when the engine runs it, and the text form `--function` takes.

`URN=OUTCOME[,KEY=VALUE...]`: OUTCOME is `succeed`, `fail` or `timeout`; keys are `duration` (seconds
a run takes), `code` (the integer error code of `fail`), `timeout` (the function's timeout, which a
`timeout` run exceeds) and `concurrency` (runs at once; the rest WAIT). Example:
`hello=fail,code=4001,duration=0.2,concurrency=2`. Times are divided by the engine's speed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Literal

Outcome = Literal["succeed", "fail", "timeout"]
OUTCOMES: tuple[Outcome, ...] = ("succeed", "fail", "timeout")
MAX_SECONDS = 86_400.0
MAX_CONCURRENCY = 100_000
TIMEOUT_CODE = 408  # the mock's own: the pages document no code for a run past its timeout


@dataclass(frozen=True)
class Behaviour:
    outcome: Outcome = "succeed"
    duration: float = 0.05
    code: int = 500
    timeout: float = 0.2
    concurrency: int = 4

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"the outcome is one of {', '.join(OUTCOMES)}")
        for name in ("duration", "timeout"):
            value = getattr(self, name)
            if type(value) not in (int, float) or not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
                raise ValueError(f"{name} must be a number of seconds within [0, {MAX_SECONDS:g}]")
        if type(self.code) is not int or not 1 <= self.code <= 2**31 - 1:
            raise ValueError("code must be a positive integer")
        if type(self.concurrency) is not int or not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be an integer within [1, {MAX_CONCURRENCY}]")

    @classmethod
    def succeed(cls, *, after: float = 0.05, concurrency: int = 4) -> Behaviour:
        """Runs end SUCCESS `after` seconds."""
        return cls("succeed", duration=after, concurrency=concurrency)

    @classmethod
    def fail(cls, code: int = 500, *, after: float = 0.05, concurrency: int = 4) -> Behaviour:
        """Runs end FAIL with error code `code` `after` seconds."""
        return cls("fail", duration=after, code=code, concurrency=concurrency)

    @classmethod
    def times_out(cls, *, after: float = 0.2, concurrency: int = 4) -> Behaviour:
        """Runs exceed the function's timeout of `after` seconds and end FAIL with TIMEOUT_CODE."""
        return cls("timeout", timeout=after, concurrency=concurrency)

    @property
    def run_time(self) -> float:
        """How long one run lasts before its outcome is known."""
        return self.timeout if self.outcome == "timeout" else self.duration

    @classmethod
    def parse(cls, text: str) -> Behaviour:
        outcome, *pairs = text.split(",")
        fields: dict[str, object] = {"outcome": outcome.strip()}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or key not in ("duration", "code", "timeout", "concurrency"):
                raise ValueError(f"{pair!r} is not duration=, code=, timeout= or concurrency="[:120])
            try:
                fields[key] = int(value) if key in ("code", "concurrency") else float(value)
            except ValueError:
                raise ValueError(f"{key} takes a number") from None
        return cls(**fields)  # type: ignore[arg-type]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Behaviour:
        return _from_json(text)


@lru_cache(maxsize=1024)
def _from_json(text: str) -> Behaviour:
    # Read for every group of calls and every pass: parsing and checking each time cost a few µs.
    return replace(Behaviour(), **json.loads(text))


def split_function_option(option: str) -> tuple[str, Behaviour]:
    """`URN` or `URN=BEHAVIOUR`, as `--function` takes it."""
    urn, sep, text = option.partition("=")
    return urn, Behaviour.parse(text) if sep else Behaviour()
