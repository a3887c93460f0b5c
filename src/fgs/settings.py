"""One set of settings for the clients and the three commands, read from the environment.

Each setting has an `FGS_*` name, and some have the official SDK's name as an alias. A flag (or an
argument) beats `FGS_*`, which beats the alias. The credential is one of: a token, an access key pair
(with a security token for a temporary key), or an IAM password login; two of them set is an error.
The SDK's names count only when no `FGS_*` credential is set, so a shell that exports both is not
an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from fgs.credentials import AccessKey, Credentials, IamPassword, Token
from fgs.errors import InvalidRequestError

ENDPOINT, PROJECT_ID = "FGS_ENDPOINT", "FGS_PROJECT_ID"
AUTH_TOKEN = "FGS_AUTH_TOKEN"  # noqa: S105 - a variable's name
ACCESS_KEY, SECRET_KEY, SECURITY_TOKEN = "FGS_ACCESS_KEY", "FGS_SECRET_KEY", "FGS_SECURITY_TOKEN"
IAM = ("FGS_IAM_ENDPOINT", "FGS_DOMAIN", "FGS_USER", "FGS_PASSWORD", "FGS_PROJECT_NAME")
CREDENTIAL_NAMES = (AUTH_TOKEN, ACCESS_KEY, SECRET_KEY, SECURITY_TOKEN, *IAM)
# The official SDK's variables (its EnvCredentialProvider), read where the FGS_ name is not set.
ALIASES = {
    PROJECT_ID: "HUAWEICLOUD_SDK_PROJECT_ID",
    ACCESS_KEY: "HUAWEICLOUD_SDK_AK",
    SECRET_KEY: "HUAWEICLOUD_SDK_SK",
    SECURITY_TOKEN: "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "FGS_IAM_ENDPOINT": "HUAWEICLOUD_SDK_IAM_ENDPOINT",
}
DOCUMENTED = (ENDPOINT, PROJECT_ID, *CREDENTIAL_NAMES)


def resolve(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `FGS_*` settings that are set (not empty), each filled from its SDK alias where it is not."""
    env = os.environ if environ is None else environ
    values = {name: env[name] for name in DOCUMENTED if env.get(name)}
    own_credential = any(name in values for name in CREDENTIAL_NAMES)
    for name, alias in ALIASES.items():
        if name not in values and env.get(alias) and (name not in CREDENTIAL_NAMES or not own_credential):
            values[name] = env[alias]
    return values


def credentials(values: Mapping[str, str]) -> Credentials | None:
    """The one credential that `values` (as `resolve` gives them) name; None when they name none."""
    token, ak, sk = values.get(AUTH_TOKEN), values.get(ACCESS_KEY), values.get(SECRET_KEY)
    login = [values.get(name) for name in IAM]
    kinds = [
        kind
        for kind, present in (
            (AUTH_TOKEN, token),
            (f"{ACCESS_KEY}/{SECRET_KEY}", ak or sk),
            ("the IAM login (FGS_IAM_ENDPOINT, FGS_DOMAIN, FGS_USER, FGS_PASSWORD)", any(login)),
        )
        if present
    ]
    if len(kinds) > 1:
        raise InvalidRequestError(f"set one credential, not {' and '.join(kinds)} at once")
    if token:
        return Token(token)
    if ak or sk:
        if not (ak and sk):
            raise InvalidRequestError(f"{ACCESS_KEY} and {SECRET_KEY} must both be set")
        return AccessKey(ak, sk, values.get(SECURITY_TOKEN) or None)
    if any(login):
        missing = [name for name, value in zip(IAM, login, strict=True) if not value]
        if missing:
            raise InvalidRequestError(f"the IAM login also needs {', '.join(missing)}")
        iam_endpoint, domain, user, password, project = (str(value) for value in login)
        return IamPassword(iam_endpoint, domain=domain, user=user, password=password, project=project)
    return None


@dataclass(frozen=True)
class Settings:
    """What the environment says: each field None when it is not set. The credential's repr hides its secrets."""

    endpoint: str | None
    project_id: str | None
    credentials: Credentials | None = field(default=None)


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings `fgs.Client()` reads: `FGS_ENDPOINT`, `FGS_PROJECT_ID` and one credential.

    The credential is `FGS_AUTH_TOKEN`; or `FGS_ACCESS_KEY` and `FGS_SECRET_KEY` (and `FGS_SECURITY_TOKEN`
    for a temporary key); or `FGS_IAM_ENDPOINT`, `FGS_DOMAIN`, `FGS_USER`, `FGS_PASSWORD` and
    `FGS_PROJECT_NAME` for an IAM login. The official SDK's `HUAWEICLOUD_SDK_AK`, `_SK`, `_SECURITY_TOKEN`,
    `_PROJECT_ID` and `_IAM_ENDPOINT` stand in for the `FGS_*` names that are not set.

    Raises:
        InvalidRequestError: two credentials are set, or one is incomplete. The message names the
            variables, never their values.
    """
    values = resolve(environ)
    return Settings(values.get(ENDPOINT), values.get(PROJECT_ID), credentials(values))


LOG = "FGS_LOG"
_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


def switch_logging(environ: Mapping[str, str] | None = None) -> None:
    """`FGS_LOG=debug` (or info, warning, error): the `fgs` logger writes to stderr at that level.

    Once per process, and only when the application has given the logger no handler of its own. Its
    lines name retries, logins and endpoints, never a token, key or password.
    """
    import logging

    env = os.environ if environ is None else environ
    level = _LEVELS.get(env.get(LOG, "").strip().lower())
    logger = logging.getLogger("fgs")
    if level is None or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("fgs: %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
