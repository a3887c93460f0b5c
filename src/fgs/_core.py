"""What Client and AsyncClient share: building the request from the generated client, reading answers.

No I/O here, so the two clients differ only in how they send and sleep.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from fgs_client.api.invocation import invoke_function_async as operation
from fgs_client.models import ErrorResponse, InvocationAccepted, InvocationEvent

from fgs.errors import (
    API_ERRORS,
    FgsError,
    InvalidRequestError,
    ProtocolError,
    RequestTimeoutError,
    TransportError,
)
from fgs.retry import RETRY_STATUSES, RetryPolicy

log = logging.getLogger("fgs")
TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 - a header name, not a secret
# Values that httpx or a server would read as path syntax rather than data.
_PATH_CHANGING = frozenset({"", ".", ".."})
# Exceptions after which the request certainly did not leave this process.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def check_segment(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, not {type(value).__name__}")
    if value in _PATH_CHANGING:
        raise InvalidRequestError(f"{name} {value!r} would change the request path")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(f"{name} is not encodable as UTF-8") from None
    return value


def check_endpoint(endpoint: object) -> str:
    if not isinstance(endpoint, str):
        raise InvalidRequestError(f"endpoint must be a string, not {type(endpoint).__name__}")
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidRequestError(f"endpoint {endpoint!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidRequestError(f"endpoint {endpoint!r} needs an http(s) scheme and a host")
    return endpoint


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise InvalidRequestError("token must be a non-empty string")
    if any(c in token for c in "\r\n\x00") or not token.isascii():
        raise InvalidRequestError("token holds characters a header cannot carry")
    return token


def extra_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    copied = dict(headers or {})
    if any(name.lower() in ("x-auth-token", "authorization") for name in copied):
        raise InvalidRequestError("pass the token as token=, not as a header")
    return copied


class Core:
    def __init__(
        self, endpoint: str, project_id: str, token: str, headers: Mapping[str, str] | None, retry: RetryPolicy
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.project_id = check_segment("project_id", project_id)
        self.token = check_token(token)
        self.headers = extra_headers(headers)
        self.retry = retry
        self._routes: dict[str, tuple[str, str, dict[str, str]]] = {}

    def describe(self, cls: str) -> str:
        return f"{cls}(endpoint={self.endpoint!r}, project_id={self.project_id!r}, token=<redacted>)"

    def request_kwargs(self, function_urn: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        route = self._routes.get(function_urn) if isinstance(function_urn, str) else None
        method, url, headers = route or self._route(function_urn)
        if not isinstance(payload, Mapping) or not all(isinstance(k, str) for k in payload):
            raise InvalidRequestError("payload must be a mapping with string keys (a JSON object)")
        try:
            # Encode here, not in httpx, so a payload that is not JSON fails before anything is sent.
            content = json.dumps(
                InvocationEvent.from_dict(payload).to_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidRequestError(f"payload is not JSON-serialisable: {exc}") from None
        return {
            "method": method,
            "url": url,
            "content": content.encode("utf-8"),
            "headers": {**headers, TOKEN_HEADER: self.token},
        }

    def _route(self, function_urn: str) -> tuple[str, str, dict[str, str]]:
        """Method, encoded path and fixed headers from the generated operation, kept per URN.

        Building them costs two percent-encodings per call otherwise, a measurable share of a local call.
        """
        check_segment("function_urn", function_urn)
        kwargs = operation._get_kwargs(self.project_id, function_urn, body=InvocationEvent())
        route = (kwargs["method"], kwargs["url"], {**self.headers, **kwargs["headers"]})
        if len(self._routes) >= 256:
            self._routes.clear()
        self._routes[function_urn] = route
        return route

    def redact(self, text: str) -> str:
        return text.replace(self.token, "<redacted>")

    def interpret(self, response: httpx.Response, attempts: int) -> str:
        """The request_id of an accepted call, or the FgsError that explains the answer."""
        body = response.content.replace(self.token.encode(), b"<redacted>")
        status = response.status_code
        data = _json_object(body)
        if status == 202:
            request_id = data.get("request_id") if data is not None else None
            if isinstance(request_id, str) and request_id.strip():
                return InvocationAccepted.from_dict(data or {}).request_id
            raise ProtocolError(
                f"202 without a usable request_id: {body[:200]!r}", status=202, body=body, attempts=attempts
            )
        code = msg = None
        if data is not None:
            fields = {k: data.get(k) for k in ("error_code", "error_msg")}
            if all(isinstance(v, str) for v in fields.values()):
                parsed = ErrorResponse.from_dict(fields)
                code, msg = parsed.error_code, self.redact(parsed.error_msg)
            else:
                code = fields["error_code"] if isinstance(fields["error_code"], str) else None
                msg = self.redact(fields["error_msg"]) if isinstance(fields["error_msg"], str) else None
        error = API_ERRORS.get(status)
        if error is not None:
            summary = f"HTTP {status} {code or ''}: {msg or _snippet(body)}".replace(" :", ":")
            raise error(summary, status=status, error_code=code, error_msg=msg, body=body, attempts=attempts)
        raise ProtocolError(
            f"undocumented status {status}: {_snippet(body)}",
            status=status,
            error_code=code,
            error_msg=msg,
            body=body,
            attempts=attempts,
        )

    def conclude(self, response: httpx.Response | None, exc: Exception | None, attempts: int) -> str:
        """The request_id, or the error for the last outcome; called when no retry follows."""
        if response is not None:
            return self.interpret(response, attempts)
        assert exc is not None
        # Not chained: the httpx exception's text could quote the token; its type and text, redacted, are kept.
        raise self.transport_error(exc, attempts) from None

    def transport_error(self, exc: Exception, attempts: int) -> FgsError:
        detail = self.redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeoutError(f"timed out: {detail}", attempts=attempts)
        return TransportError(f"no answer: {detail}", attempts=attempts)

    def retry_delay(
        self, attempt: int, elapsed: float, response: httpx.Response | None, exc: Exception | None
    ) -> float | None:
        """Seconds to wait before sending again, or None when this outcome must not be retried."""
        if response is not None:
            if response.status_code not in RETRY_STATUSES:
                return None
            delay = self.retry.delay(attempt, elapsed, response.headers.get("retry-after"))
            reason = f"status {response.status_code}"
        elif isinstance(exc, NOT_SENT):
            delay = self.retry.delay(attempt, elapsed, None)
            reason = type(exc).__name__
        else:
            return None
        if delay is not None:
            log.info("retrying after %s (attempt %d of %d) in %.2fs", reason, attempt, self.retry.max_attempts, delay)
        return delay


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _snippet(body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace").strip()
    return repr(text) if text else "empty body"
