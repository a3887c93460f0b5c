"""Contains all the data models used in inputs/outputs"""

from .error_response import ErrorResponse
from .invocation_accepted import InvocationAccepted
from .invocation_event import InvocationEvent

__all__ = (
    "ErrorResponse",
    "InvocationAccepted",
    "InvocationEvent",
)
