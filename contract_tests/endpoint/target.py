"""Which endpoint the suite checks, with what credentials, and how many invocations it may cause.

Live mode: FGS_ENDPOINT plus FGS_PROJECT_ID, FGS_AUTH_TOKEN, FGS_FUNCTION_URN (an existing function).
Otherwise the embedded mock, configured from the same variables when they are set.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN

OPERATION_PATH = "/v2/{project_id}/fgs/functions/{function_urn}/invocations-async"
LIVE_VARIABLES = ("FGS_PROJECT_ID", "FGS_AUTH_TOKEN", "FGS_FUNCTION_URN")
DEFAULT_MAX_INVOCATIONS = 25


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    endpoint: str | None  # None: start the embedded mock
    project_id: str
    function_urn: str
    token: str = field(repr=False)
    max_invocations: int | None  # None: unlimited (the mock costs nothing)

    @property
    def live(self) -> bool:
        return self.endpoint is not None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        endpoint = env.get("FGS_ENDPOINT", "").strip() or None
        if endpoint is None:
            return cls(
                endpoint=None,
                project_id=env.get("FGS_PROJECT_ID") or DEFAULT_PROJECT_ID,
                function_urn=env.get("FGS_FUNCTION_URN") or DEFAULT_FUNCTION_URN,
                token=env.get("FGS_AUTH_TOKEN") or DEFAULT_TOKEN,
                max_invocations=None,
            )
        missing = [name for name in LIVE_VARIABLES if not env.get(name)]
        if missing:
            raise ConfigError(
                f"FGS_ENDPOINT is set, so the suite runs live and needs {', '.join(LIVE_VARIABLES)}; "
                f"missing: {', '.join(missing)}"
            )
        raw_budget = env.get("FGS_MAX_INVOCATIONS", str(DEFAULT_MAX_INVOCATIONS))
        try:
            budget = int(raw_budget)
        except ValueError:
            raise ConfigError(f"FGS_MAX_INVOCATIONS must be a whole number, not {raw_budget!r}") from None
        if budget < 0:
            raise ConfigError("FGS_MAX_INVOCATIONS must be >= 0")
        return cls(
            endpoint=endpoint.rstrip("/"),
            project_id=env["FGS_PROJECT_ID"],
            function_urn=env["FGS_FUNCTION_URN"],
            token=env["FGS_AUTH_TOKEN"],
            max_invocations=budget,
        )


class Budget:
    """Invocations the run may still cause. Each 202 on a live endpoint starts a real, billed function run."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self.refused = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                self.refused += 1
                return False
            self.spent += 1
            return True


def operation_path(project_id: str, function_urn: str) -> str:
    # safe="" keeps each value one path segment, as the spec's path template requires.
    return OPERATION_PATH.format(project_id=quote(project_id, safe=""), function_urn=quote(function_urn, safe=""))


def another_project_id(project_id: str) -> str:
    other = uuid.uuid4().hex
    return other if other != project_id else uuid.uuid4().hex


def urn_in_project(urn: str, project_id: str) -> str:
    """The same function reference, but naming `project_id` as its owner."""
    fields = urn.split(":")
    if len(fields) in (7, 8):
        fields[3] = project_id
    elif len(fields) in (3, 4):
        fields[0] = project_id
    elif len(fields) == 2:
        fields.insert(0, project_id)
    else:
        fields = [project_id, "default", *fields]
    return ":".join(fields)


def urn_of_missing_function(urn: str) -> str:
    """A well-formed URN, in the target URN's own form, of a function nobody has created."""
    missing = f"fgs-contract-missing-{uuid.uuid4().hex[:12]}"
    fields = urn.split(":")
    name_index = {8: 6, 7: 6, 4: 2, 3: 2, 2: 1, 1: 0}.get(len(fields), len(fields) - 1)
    fields[name_index] = missing
    return ":".join(fields)
