from typing import Literal

ListAsyncInvocationsStatus = Literal["DISCARD", "FAIL", "RUNNING", "SUCCESS", "WAIT"]

LIST_ASYNC_INVOCATIONS_STATUS_VALUES: set[ListAsyncInvocationsStatus] = {
    "DISCARD",
    "FAIL",
    "RUNNING",
    "SUCCESS",
    "WAIT",
}


def check_list_async_invocations_status(value: str) -> ListAsyncInvocationsStatus:
    if value in LIST_ASYNC_INVOCATIONS_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_ASYNC_INVOCATIONS_STATUS_VALUES!r}")
