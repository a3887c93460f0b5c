"""What Client and AsyncClient share: building the request, reading answers, deciding on retries.

No I/O here. A transport sends what request_kwargs() describes within attempt_budget() seconds, reads
the body through fgs._body.BodyReader, and hands back an Answer or a Failure; every decision and every
message is made here, so both clients (and any later transport) behave and word things alike.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fgs_client.api.invocation import invoke_function_async as operation
from fgs_client.models import ErrorResponse, InvocationAccepted, InvocationEvent

from fgs._body import ACCEPT_ENCODING, Answer
from fgs._checks import check_endpoint, check_segment, check_token, extra_headers, origin
from fgs._redact import Redactor
from fgs.errors import API_ERRORS, FgsError, InvalidRequestError, ProtocolError, RequestTimeoutError, TransportError
from fgs.retry import RETRY_STATUSES, RetryPolicy

log = logging.getLogger("fgs")
TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 - a header name, not a secret
# What the query page allows for a request_id; anything else must not reach logs or later URLs.
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,64}")
FailureKind = Literal["refused", "connect-timeout", "timeout", "broken"]
# Failures after which the request certainly did not leave this process, so sending again is safe.
_NOT_SENT: frozenset[FailureKind] = frozenset({"refused", "connect-timeout"})
IDEMPOTENT_RETRY_STATUSES = RETRY_STATUSES | {500}


@dataclass(frozen=True, slots=True)
class Failure:
    """No usable answer. `cause` is the transport's exception class name, never its text."""

    kind: FailureKind
    cause: str


Outcome = Answer | Failure


class Core:
    def __init__(
        self, endpoint: str, project_id: str, token: str, headers: Mapping[str, str] | None, retry: RetryPolicy
    ) -> None:
        self.origin = origin(check_endpoint(endpoint))
        self.project_id = check_segment("project_id", project_id)
        self.set_token(token)
        self.headers = extra_headers(headers)
        self.retry = retry
        self._routes: dict[str, tuple[str, str, dict[str, str]]] = {}

    def set_token(self, token: str) -> None:
        self.token = check_token(token)
        self._redactor = Redactor(token)

    def describe(self, cls: str) -> str:
        return f"{cls}(endpoint={self.origin!r}, project_id={self.project_id!r}, token=<redacted>)"

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
        # Only the codings fgs._body can decode with a bounded output.
        fixed = {**self.headers, **kwargs["headers"], "Accept-Encoding": ACCEPT_ENCODING}
        route = (kwargs["method"], kwargs["url"], fixed)
        if len(self._routes) >= 256:
            self._routes.clear()
        self._routes[function_urn] = route
        return route

    def attempt_budget(self, timeout: float, attempt: int, elapsed: float) -> float:
        """Seconds the attempt may take in all; after a retry, also what is left of max_total."""
        if attempt == 1:
            return timeout
        return max(0.0, min(timeout, self.retry.max_total - elapsed))

    def redact(self, text: str) -> str:
        return self._redactor.text(text)

    def interpret(self, answer: Answer, attempts: int) -> str:
        """The request_id of an accepted call, or the FgsError that explains the answer."""
        if answer.status == 202 and answer.problem is None:
            return self._accepted(answer.body, _json_object(answer.body), attempts)
        raise self.refusal(answer, attempts)

    def refusal(self, answer: Answer, attempts: int) -> FgsError:
        """The error for an answer other than the operation's success: documented, or a broken contract."""
        status = answer.status
        if answer.problem is not None:
            return ProtocolError(f"HTTP {status} answer {answer.problem}", status=status, attempts=attempts)
        data = _json_object(answer.body)
        body = self._redactor.bytes(answer.body) if answer.body else answer.body
        code = msg = None
        if data is not None:
            fields = {k: data.get(k) for k in ("error_code", "error_msg")}
            if all(isinstance(v, str) for v in fields.values()):
                parsed = ErrorResponse.from_dict(fields)
                code, msg = self.redact(parsed.error_code), self.redact(parsed.error_msg)
            else:
                code = self.redact(fields["error_code"]) if isinstance(fields["error_code"], str) else None
                msg = self.redact(fields["error_msg"]) if isinstance(fields["error_msg"], str) else None
        error = API_ERRORS.get(status)
        if error is not None:
            summary = f"HTTP {status} {code or ''}: {msg or _snippet(body)}".replace(" :", ":")
            return error(summary, status=status, error_code=code, error_msg=msg, body=body, attempts=attempts)
        return ProtocolError(
            f"undocumented status {status}: {_snippet(body)}",
            status=status,
            error_code=code,
            error_msg=msg,
            body=body,
            attempts=attempts,
        )

    def _accepted(self, raw: bytes, data: dict[str, Any] | None, attempts: int) -> str:
        request_id = data.get("request_id") if data is not None else None
        if isinstance(request_id, str) and _REQUEST_ID.fullmatch(request_id):
            return InvocationAccepted.from_dict({"request_id": request_id}).request_id
        # Redacted only here: an accepted call's body is never shown, so it need not pay for it.
        raise ProtocolError(
            f"202 without a usable request_id: {self.redact(_describe(request_id))}",
            status=202,
            body=self._redactor.bytes(raw),
            attempts=attempts,
        )

    def conclude(self, outcome: Outcome, attempts: int, budget: float) -> str:
        """The request_id, or the error for the last outcome; called when no retry follows."""
        if isinstance(outcome, Answer):
            return self.interpret(outcome, attempts)
        # Not chained: a transport exception's text could quote the token. Only its class name is kept.
        raise self.transport_error(outcome, attempts, budget) from None

    def transport_error(self, failure: Failure, attempts: int, budget: float) -> FgsError:
        where = self.origin
        if failure.kind == "timeout":
            return RequestTimeoutError(f"no complete answer from {where} within {budget:.3g} s", attempts=attempts)
        if failure.kind == "connect-timeout":
            return RequestTimeoutError(f"timed out connecting to {where}", attempts=attempts)
        if failure.kind == "refused":
            return TransportError(f"could not connect to {where} ({failure.cause})", attempts=attempts)
        return TransportError(
            f"the connection to {where} failed before a complete answer ({failure.cause})", attempts=attempts
        )

    def retry_delay(self, attempt: int, elapsed: float, outcome: Outcome, *, idempotent: bool = False) -> float | None:
        """Seconds to wait before sending again, or None when this outcome must not be retried.

        An idempotent call (a GET, PUT or DELETE) changes nothing when it runs twice, so it is also sent
        again after a 500 and after any failure of the connection, even one after the request left.
        """
        if isinstance(outcome, Answer):
            statuses = IDEMPOTENT_RETRY_STATUSES if idempotent else RETRY_STATUSES
            if outcome.status not in statuses or outcome.problem is not None:
                return None
            delay = self.retry.delay(attempt, elapsed, outcome.retry_after)
            reason = f"status {outcome.status}"
        elif idempotent or outcome.kind in _NOT_SENT:
            delay = self.retry.delay(attempt, elapsed, None)
            reason = outcome.cause
        else:
            return None
        if delay is not None:
            log.info("retrying after %s (attempt %d of %d) in %.2fs", reason, attempt, self.retry.max_attempts, delay)
        return delay


def _describe(request_id: object) -> str:
    """An unusable request_id, safe for a message: ASCII-escaped and cut short, never echoed raw."""
    if not isinstance(request_id, str):
        return "missing" if request_id is None else f"a JSON {type(request_id).__name__}"
    shown = ascii(request_id[:40])
    return shown if len(request_id) <= 40 else f"{shown}... ({len(request_id)} characters)"


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _snippet(body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace").strip()
    return repr(text) if text else "empty body"
