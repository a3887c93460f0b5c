"""What the command takes from its surroundings: settings from the environment, and its user errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from fgs import settings
from fgs._checks import check_endpoint
from fgs.credentials import Credentials
from fgs.errors import InvalidRequestError
from fgs.settings import AUTH_TOKEN, ENDPOINT, PROJECT_ID

__all__ = ["AUTH_TOKEN", "ENDPOINT", "PROJECT_ID", "URN_HELP", "ClientOptions", "UsageError", "client_options"]
URN_HELP = "the function: its URN, or a short form"


class UsageError(Exception):
    """A mistake of the person at the keyboard: one line on stderr, exit status 2, no traceback."""


class ClientOptions(TypedDict):
    endpoint: str
    project_id: str
    credentials: Credentials


def client_options(environ: Mapping[str, str]) -> ClientOptions:
    """The clients' keyword arguments from the settings (flags already merged in); the one place that reads them."""
    try:
        values = settings.resolve(environ)
        credentials = settings.credentials(values)
    except InvalidRequestError as exc:
        raise UsageError(str(exc)) from None
    missing = [name for name in (ENDPOINT, PROJECT_ID) if name not in values]
    if credentials is None:
        missing.append(AUTH_TOKEN)
    if missing:
        instead = "" if credentials else "; instead of a token, an access key or an IAM login (see fgs --help)"
        raise UsageError(f"set {' and '.join(missing)} in the environment{instead}")
    try:
        # Checked here, so the message speaks of the variable's value, not of a Client() argument.
        check_endpoint(values[ENDPOINT])
    except InvalidRequestError as exc:
        raise UsageError(str(exc)) from None
    assert credentials is not None
    return ClientOptions(endpoint=values[ENDPOINT], project_id=values[PROJECT_ID], credentials=credentials)
