"""How one run of a function's code ended, as the engine and the store keep it.

No page gives the `error_code` of a function error, a timeout or a crash; these are the mock's own.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from fgs_mock.behaviour import TIMEOUT_CODE
from fgs_mock.urn import FunctionRef

FUNCTION_ERROR_CODE = 500  # the handler raised, or returned something that is not JSON
CRASH_CODE = 502  # the instance died: os._exit, a signal
OUT_OF_MEMORY_CODE = 507  # over the function's memory, or a MemoryError
INITIALIZER_CODE = 503  # no instance could be initialized, in 3 tries

Kind = Literal["success", "error", "timeout", "crash", "oom", "initializer", "canceled"]
_CODES: dict[str, int] = {
    "error": FUNCTION_ERROR_CODE,
    "timeout": TIMEOUT_CODE,
    "crash": CRASH_CODE,
    "oom": OUT_OF_MEMORY_CODE,
    "initializer": INITIALIZER_CODE,
    "canceled": 4208,
}


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    result: str | None = None  # the return value as JSON text; None when over 256 KB or not a success
    error: dict[str, Any] | None = None  # {errorMessage, errorType, stackTrace}
    logs: str = field(default="", repr=False)

    @property
    def status(self) -> Literal["SUCCESS", "FAIL"]:
        return "SUCCESS" if self.kind == "success" else "FAIL"

    @property
    def error_code(self) -> int:
        return _CODES.get(self.kind, 0)

    @property
    def error_message(self) -> str:
        if self.error is None:
            return ""
        if self.kind == "error":
            return f"{self.error['errorType']}: {self.error['errorMessage']}"[:1024]
        return str(self.error["errorMessage"])[:1024]

    @property
    def retryable(self) -> bool:
        """An exception, a timeout, a crash or running out of memory count for the async config's retries."""
        return self.kind in ("error", "timeout", "crash", "oom")

    def error_json(self) -> str | None:
        return None if self.error is None else json.dumps(self.error)


class RunFacts(Protocol):
    """What a destination record tells of the run: the store's Run has these, but the runtime knows no store."""

    @property
    def attempts(self) -> int: ...
    @property
    def error_code(self) -> int | None: ...
    @property
    def error_message(self) -> str | None: ...


def system_error(kind: Kind, error_type: str, message: str) -> Outcome:
    """An ending the runtime saw rather than the handler raised: no stack trace of the user's code."""
    return Outcome(kind, error={"errorMessage": message, "errorType": error_type, "stackTrace": []})


def destination_record(
    request_id: str,
    function: str,
    status: str,
    now: float,
    region: str,
    run: RunFacts | None,
    body: bytes | None,
    output: tuple[str | None, str | None, str] | None,
) -> dict[str, Any]:
    """What an on_success or on_failure destination is sent. The pages do not show it: the shape is ours.

    `function` is the short URN, `body` the invocation's, `output` what the store kept of its code's run.
    """
    result, error = (None, None) if output is None else output[:2]
    try:
        payload = None if body is None else json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    ended = status != "SUCCESS"
    return {
        "request_id": request_id,
        "function": function,
        "function_urn": FunctionRef.of_short_urn(function).full_urn(region),
        "status": status,
        "timestamp": datetime.datetime.fromtimestamp(now, datetime.UTC).isoformat(timespec="milliseconds"),
        "attempts": 0 if run is None else run.attempts,
        "error_code": run.error_code if run is not None and ended else None,
        "error_message": run.error_message if run is not None and ended else None,
        "request_payload": payload,
        "response_payload": json.loads(result) if result is not None and not ended else None,
        "error": json.loads(error) if error is not None and ended else None,
    }


class HandlerError(Exception):
    """`fgs_mock.run()`: the handler's run failed. Carries the service's error record."""

    def __init__(self, outcome: Outcome) -> None:
        error = outcome.error or {}
        super().__init__(outcome.error_message)
        self.kind = outcome.kind
        self.error_type: str = str(error.get("errorType", ""))
        self.error_message: str = str(error.get("errorMessage", ""))
        self.stack_trace: list[str] = list(error.get("stackTrace", []))
        self.logs = outcome.logs
