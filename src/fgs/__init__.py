"""A small, typed client for FunctionGraph asynchronous invocation, built on the generated fgs_client.

    with fgs.Client(endpoint, project_id, token) as client:  # or credentials=fgs.AccessKey(ak, sk)
        request_id = client.invoke_async(function_urn, {"k": "v"})

Every error it raises derives from fgs.FgsError.
"""

from fgs.client import DEFAULT_RETRY, DEFAULT_TIMEOUT, AsyncClient, Client
from fgs.credentials import AccessKey, Credentials, IamPassword, Token, from_env
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
    "Token",
    "TransportError",
    "WaitTimeoutError",
    "from_env",
]
