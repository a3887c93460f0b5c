"""What the suite checks, with which credentials, and how many invocations it may cause.

Live mode: an endpoint plus FGS_PROJECT_ID, FGS_FUNCTION_URN (an existing function) and one credential:
FGS_AUTH_TOKEN, or the access key pair FGS_ACCESS_KEY and FGS_SECRET_KEY. Otherwise the embedded mock,
configured from the same variables when they are set. Flags override the environment, except the
credentials, which only the environment carries (they stay out of process lists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fgs.settings import resolve as shared_settings
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN

LIVE_VARIABLES = ("FGS_PROJECT_ID", "FGS_FUNCTION_URN")
KEY_VARIABLES = ("FGS_ACCESS_KEY", "FGS_SECRET_KEY")
DEFAULT_MAX_INVOCATIONS = 25
# How long an accepted run may take to be listed, and to end, before the lifecycle checks give up on it.
DEFAULT_LIFECYCLE_TIMEOUT = 30.0
# Pages one listing may take before a check that needs all of it is skipped as too busy.
DEFAULT_MAX_PAGES = 60


class ConfigError(Exception):
    """A usage error: the message is one line that says what to fix."""


@dataclass(frozen=True)
class Settings:
    endpoint: str | None  # None: start the embedded mock
    project_id: str
    function_urn: str
    token: str | None = field(repr=False)  # None: the requests are signed with the access key instead
    max_invocations: int | None  # None: unlimited (the embedded mock costs nothing)
    lifecycle_timeout: float = DEFAULT_LIFECYCLE_TIMEOUT
    # Live, the async-config checks change the function's settings (and restore them): only when asked.
    allow_config_changes: bool = False
    # Live, a cancel may stop the function's running requests, even one the endpoint refuses: only when asked.
    allow_cancel: bool = False
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    max_pages: int = DEFAULT_MAX_PAGES
    fail_on_skip: bool = False  # a check that could not conclude (budget, too busy, timeout) fails the run

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be printed: the token or the secret key."""
        return tuple(s for s in (self.token, self.secret_key) if s)

    @property
    def live(self) -> bool:
        return self.endpoint is not None

    @classmethod
    def resolve(cls, env: Mapping[str, str], overrides: Mapping[str, str | None] | None = None) -> Settings:
        """The environment's FGS_* variables, with any non-None override (keyed by variable name) on top."""
        # fgs.settings fills the FGS_* names from the official SDK's where they are unset, as the client does.
        merged = {**env, **shared_settings(env), **{k: v for k, v in (overrides or {}).items() if v is not None}}
        endpoint = merged.get("FGS_ENDPOINT", "").strip().rstrip("/") or None
        raw_budget = merged.get("FGS_MAX_INVOCATIONS", "").strip()
        budget = _budget(raw_budget) if raw_budget else None
        timeout = _seconds(merged.get("FGS_LIFECYCLE_TIMEOUT", "").strip())
        allow_changes = _flag(merged, "FGS_ALLOW_CONFIG_CHANGES")
        allow_cancel = _flag(merged, "FGS_ALLOW_CANCEL")
        max_pages = _max_pages(merged.get("FGS_MAX_PAGES", "").strip())
        fail_on_skip = _flag(merged, "FGS_FAIL_ON_SKIP")
        access_key, secret_key = _key_pair(merged)
        token = merged.get("FGS_AUTH_TOKEN") or None
        if endpoint is None:
            return cls(
                endpoint=None,
                project_id=merged.get("FGS_PROJECT_ID") or DEFAULT_PROJECT_ID,
                function_urn=merged.get("FGS_FUNCTION_URN") or DEFAULT_FUNCTION_URN,
                token=None if access_key else token or DEFAULT_TOKEN,
                max_invocations=budget,
                lifecycle_timeout=timeout,
                allow_config_changes=allow_changes,
                allow_cancel=allow_cancel,
                access_key=access_key,
                secret_key=secret_key,
                max_pages=max_pages,
                fail_on_skip=fail_on_skip,
            )
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"the endpoint must be an http:// or https:// URL, not {endpoint!r}")
        missing = [name for name in LIVE_VARIABLES if not merged.get(name)]
        if token is None and access_key is None:
            missing.append("FGS_AUTH_TOKEN (or FGS_ACCESS_KEY and FGS_SECRET_KEY)")
        if missing:
            raise ConfigError(
                f"an endpoint is given, so the suite runs live and needs {', '.join(LIVE_VARIABLES)} and a "
                f"credential; missing: {', '.join(missing)}"
            )
        return cls(
            endpoint=endpoint,
            project_id=merged["FGS_PROJECT_ID"],
            function_urn=merged["FGS_FUNCTION_URN"],
            token=None if access_key else token,
            max_invocations=DEFAULT_MAX_INVOCATIONS if budget is None else budget,
            lifecycle_timeout=timeout,
            allow_config_changes=allow_changes,
            allow_cancel=allow_cancel,
            access_key=access_key,
            secret_key=secret_key,
            max_pages=max_pages,
            fail_on_skip=fail_on_skip,
        )


def _key_pair(merged: Mapping[str, str]) -> tuple[str | None, str | None]:
    """FGS_ACCESS_KEY and FGS_SECRET_KEY, both or neither; never beside FGS_AUTH_TOKEN (which to test?)."""
    access_key, secret_key = (merged.get(name) or None for name in KEY_VARIABLES)
    if (access_key is None) != (secret_key is None):
        raise ConfigError("FGS_ACCESS_KEY and FGS_SECRET_KEY go together: set both or neither")
    if access_key is not None and merged.get("FGS_AUTH_TOKEN"):
        raise ConfigError("set FGS_AUTH_TOKEN or FGS_ACCESS_KEY/FGS_SECRET_KEY, not both: the run uses one credential")
    return access_key, secret_key


def _budget(raw: str) -> int:
    try:
        budget = int(raw)
    except ValueError:
        raise ConfigError(f"the invocation budget must be a whole number, not {raw!r}") from None
    if budget < 0:
        raise ConfigError("the invocation budget must be >= 0")
    return budget


def _seconds(raw: str) -> float:
    if not raw:
        return DEFAULT_LIFECYCLE_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"the lifecycle timeout must be a number of seconds, not {raw!r}") from None
    if not 0 < seconds <= 3600:
        raise ConfigError("the lifecycle timeout must be more than 0 and at most 3600 seconds")
    return seconds


def _max_pages(raw: str) -> int:
    if not raw:
        return DEFAULT_MAX_PAGES
    try:
        pages = int(raw)
    except ValueError:
        raise ConfigError(f"the page limit must be a whole number, not {raw!r}") from None
    if not 1 <= pages <= 100_000:
        raise ConfigError("the page limit must be at least 1 and at most 100000")
    return pages


def _flag(merged: Mapping[str, str], name: str) -> bool:
    raw = merged.get(name, "")
    value = raw.strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigError(f"{name} must be 1/true/yes or 0/false/no, not {raw!r}")
