from typing import Literal

CancelRequestType = Literal["force", "recursive"]

CANCEL_REQUEST_TYPE_VALUES: set[CancelRequestType] = {
    "force",
    "recursive",
}


def check_cancel_request_type(value: str) -> CancelRequestType:
    if value in CANCEL_REQUEST_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_REQUEST_TYPE_VALUES!r}")
