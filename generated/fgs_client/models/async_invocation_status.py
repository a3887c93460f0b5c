from typing import Literal

AsyncInvocationStatus = Literal["DISCARD", "FAIL", "RUNNING", "SUCCESS", "WAIT"]

ASYNC_INVOCATION_STATUS_VALUES: set[AsyncInvocationStatus] = {
    "DISCARD",
    "FAIL",
    "RUNNING",
    "SUCCESS",
    "WAIT",
}


def check_async_invocation_status(value: str) -> AsyncInvocationStatus:
    if value in ASYNC_INVOCATION_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ASYNC_INVOCATION_STATUS_VALUES!r}")
