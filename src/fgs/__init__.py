"""A small, typed client for FunctionGraph asynchronous invocation, built on the generated fgs_client.

    with fgs.Client(endpoint, project_id, token) as client:
        request_id = client.invoke_async(function_urn, {"k": "v"})

Every error it raises derives from fgs.FgsError.
"""

from typing import TYPE_CHECKING

from fgs.client import DEFAULT_RETRY, DEFAULT_TIMEOUT, AsyncClient, Client
from fgs.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    FgsError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from fgs.retry import NO_RETRY, RetryPolicy

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
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "FgsError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "__version__",
]
