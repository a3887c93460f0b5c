"""The one exception hierarchy of the safe client. Everything it raises is an FgsError.

FgsError
├── InvalidRequestError   refused before sending (a path value that would change the path, a bad payload)
├── ApiError              the server answered with a documented error status
│   ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403, NotFoundError 404,
│   │   └── InvocationNotFoundError   the query answered, without the request_id asked for
│   └── RateLimitError 429, ServerError 500/503
├── WaitTimeoutError      wait() ran out of time before the run ended; carries the last status seen
└── ProtocolError         the answer breaks the contract: undocumented status, unusable 2xx body
    └── TransportError    no usable answer at all: connection refused or dropped, timeout
        └── RequestTimeoutError
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fgs.models imports this module
    from fgs.models import Invocation, InvocationStatus


class FgsError(Exception):
    """Base of every error the client raises.

    status is the HTTP status (None when no answer arrived), error_code and error_msg are the server's
    when it sent them as strings, body is the raw answer, untouched but for the token, which is blanked.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        body: bytes | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.body = body
        self.attempts = attempts

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"error_code={self.error_code!r}, attempts={self.attempts})"
        )


class InvalidRequestError(FgsError, ValueError):
    """The call was refused before anything was sent."""


class ApiError(FgsError):
    """The server refused the call with a documented error status."""


class BadRequestError(ApiError):
    pass


class AuthenticationError(ApiError):
    pass


class PermissionDeniedError(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class InvocationNotFoundError(NotFoundError):
    """The query answered 200 but holds no run with this request_id (unknown, or not listed yet)."""


class RateLimitError(ApiError):
    retry_after: float | None = None
    """Seconds the server asked to wait (its Retry-After), when it said; the fan-out pauses at least this long."""


class ServerError(ApiError):
    pass


class WaitTimeoutError(FgsError):
    """wait() gave up before the run reached a final status.

    last_status is the status of the last answer (None when the query never listed the run), and
    invocation that whole record.
    """

    def __init__(self, message: str, *, invocation: Invocation | None = None, attempts: int = 0) -> None:
        super().__init__(message, attempts=attempts)
        self.invocation = invocation
        self.last_status: InvocationStatus | None = invocation.status if invocation is not None else None


class ProtocolError(FgsError):
    """The answer does not keep the contract, so what happened is unknown."""


class TransportError(ProtocolError):
    """No usable answer arrived: the connection failed, dropped, or timed out.

    `sent` is False when the request never left (the connection was refused, or connecting timed
    out): the call certainly started nothing, and is safe to send again.
    """

    sent = True


class RequestTimeoutError(TransportError):
    pass


API_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    500: ServerError,
    503: ServerError,
}
