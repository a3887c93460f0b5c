"""A small, typed client for FunctionGraph asynchronous invocation, built on the generated fgs_client.

    with fgs.Client(endpoint, project_id, token) as client:  # or credentials=fgs.AccessKey(ak, sk)
        request_id = client.invoke_async(function_urn, {"k": "v"})

Every error it raises derives from fgs.FgsError.
"""

from typing import TYPE_CHECKING

from fgs.client import DEFAULT_RETRY, DEFAULT_TIMEOUT, AsyncClient, Client
from fgs.credentials import AccessKey, Credentials, IamPassword, Token
from fgs.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    FgsError,
    InvalidRequestError,
    InvocationNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    WaitTimeoutError,
)
from fgs.models import AsyncConfig, Destination, DestinationKind, Invocation, InvocationStatus
from fgs.retry import NO_RETRY, RetryPolicy
from fgs.settings import Settings, from_env

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    if name == "__version__":  # read on first use: importlib.metadata costs more than the rest of fgs
        from fgs._version import package_version

        return package_version()
    raise AttributeError(f"module 'fgs' has no attribute {name!r}")


__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "AccessKey",
    "ApiError",
    "AsyncClient",
    "AsyncConfig",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "Credentials",
    "Destination",
    "DestinationKind",
    "FgsError",
    "IamPassword",
    "InvalidRequestError",
    "Invocation",
    "InvocationNotFoundError",
    "InvocationStatus",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "Settings",
    "Token",
    "TransportError",
    "WaitTimeoutError",
    "__version__",
    "from_env",
]
