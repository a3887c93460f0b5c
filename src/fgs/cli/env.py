"""What the command takes from its surroundings: credentials from the environment, and its user errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from fgs._checks import check_endpoint
from fgs.errors import InvalidRequestError

ENDPOINT, PROJECT_ID, AUTH_TOKEN = "FGS_ENDPOINT", "FGS_PROJECT_ID", "FGS_AUTH_TOKEN"
URN_HELP = "the function: its URN, or a short form"


class UsageError(Exception):
    """A mistake of the person at the keyboard: one line on stderr, exit status 2, no traceback."""


class ClientOptions(TypedDict):
    endpoint: str
    project_id: str
    token: str


def client_options(environ: Mapping[str, str]) -> ClientOptions:
    """The clients' keyword arguments from the environment; the one place that reads credentials."""
    missing = [name for name in (ENDPOINT, PROJECT_ID, AUTH_TOKEN) if not environ.get(name)]
    if missing:
        raise UsageError(f"set {' and '.join(missing)} in the environment")
    try:
        # Checked here, so the message speaks of the variable's value, not of a Client() argument.
        check_endpoint(environ[ENDPOINT])
    except InvalidRequestError as exc:
        raise UsageError(str(exc)) from None
    return ClientOptions(endpoint=environ[ENDPOINT], project_id=environ[PROJECT_ID], token=environ[AUTH_TOKEN])
