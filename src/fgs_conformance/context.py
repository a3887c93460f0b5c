"""The run in progress: settled by the command before pytest imports the checks, read by them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx

from fgs_conformance.budget import Budget
from fgs_conformance.profile import ProfileRecorder
from fgs_conformance.report import Recorder
from fgs_conformance.settings import Settings
from fgs_mock import Backend

# Tokens shorter than this are not searched for in answers: "x" occurs in too many honest bodies.
REFLECTION_MIN_LENGTH = 8


@dataclass(repr=False)  # its fields hold tokens and every id of the run: no use in a traceback
class Run:
    settings: Settings
    base_url: str
    backend: Backend | None = None  # the embedded mock's state; None when live
    seed: int | None = None
    budget: Budget = field(init=False)
    recorder: Recorder = field(default_factory=Recorder)
    profile: ProfileRecorder = field(default_factory=ProfileRecorder)  # the choices observed, for --profile
    # The secret key, and every token this run sent that derives from the real one: blanked in all output.
    secrets: set[str] = field(default_factory=set)
    reflections: list[str] = field(default_factory=list)  # where an answer quoted a token
    request_ids: set[str] = field(default_factory=set)  # from every 202 of the run, whichever check caused it
    repeats: list[str] = field(default_factory=list)  # where a request_id came a second time
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The battery keeps every answer, by the test that caused it; the suite keeps none.
    exchanges: list[tuple[str, httpx.Response]] | None = None

    def __post_init__(self) -> None:
        self.budget = Budget(self.settings.max_invocations)
        self.secrets.update(self.settings.secrets)


_current: Run | None = None


def begin(run: Run) -> None:
    global _current
    _current = run


def swap(run: Run | None) -> Run | None:
    """Make `run` the current one (None: none); returns the one it replaces."""
    global _current
    previous, _current = _current, run
    return previous


def current() -> Run:
    if _current is None:
        raise RuntimeError("the checks run inside fgs-conformance (python -m fgs_conformance), not plain pytest")
    return _current
