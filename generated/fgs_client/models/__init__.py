"""Contains all the data models used in inputs/outputs"""

from .async_invocation import AsyncInvocation
from .async_invocation_list import AsyncInvocationList
from .async_invocation_status import AsyncInvocationStatus
from .async_invoke_config import AsyncInvokeConfig
from .async_invoke_config_request import AsyncInvokeConfigRequest
from .cancel_request import CancelRequest
from .cancel_request_type import CancelRequestType
from .error_response import ErrorResponse
from .func_async_destination_config import FuncAsyncDestinationConfig
from .func_destination_config import FuncDestinationConfig
from .func_destination_config_destination import FuncDestinationConfigDestination
from .invocation_accepted import InvocationAccepted
from .invocation_event import InvocationEvent
from .list_async_invocations_status import ListAsyncInvocationsStatus

__all__ = (
    "AsyncInvocation",
    "AsyncInvocationList",
    "AsyncInvocationStatus",
    "AsyncInvokeConfig",
    "AsyncInvokeConfigRequest",
    "CancelRequest",
    "CancelRequestType",
    "ErrorResponse",
    "FuncAsyncDestinationConfig",
    "FuncDestinationConfig",
    "FuncDestinationConfigDestination",
    "InvocationAccepted",
    "InvocationEvent",
    "ListAsyncInvocationsStatus",
)
