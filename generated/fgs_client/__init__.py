"""A client library for accessing FunctionGraph asynchronous invocation"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
