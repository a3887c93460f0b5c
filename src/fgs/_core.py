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
from dataclasses import dataclass, field
from typing import Any, Literal

from fgs import _signing
from fgs._body import ACCEPT_ENCODING, Answer
from fgs._checks import base_url, check_endpoint, check_segment, extra_headers, origin
from fgs._iam import HttpResponse
from fgs._redact import Redactor
from fgs.credentials import Credentials, Token
from fgs.errors import (
    API_ERRORS,
    FgsError,
    InvalidRequestError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    TransportError,
)
from fgs.retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger("fgs")
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


@dataclass(frozen=True, slots=True)
class Request:
    """What goes on the wire, exactly: credentials sign these bytes, and transports send them unchanged."""

    method: str
    url: str  # absolute; path and query percent-encoded as sent
    headers: dict[str, str]
    body: bytes = field(default=b"", repr=False)


class Core:
    def __init__(
        self,
        endpoint: str,
        project_id: str,
        credentials: Credentials,
        headers: Mapping[str, str] | None,
        retry: RetryPolicy,
    ) -> None:
        url = check_endpoint(endpoint)
        self.origin = origin(url)
        self.base = base_url(url)
        self.project_id = check_segment("project_id", project_id)
        self.credentials = credentials
        self.headers = extra_headers(headers)
        self.retry = retry
        self._routes: dict[str, tuple[str, str, dict[str, str]]] = {}
        self._redactor = Redactor()

    def set_token(self, token: str) -> None:
        if not isinstance(self.credentials, Token):
            raise InvalidRequestError("works only for a client with token credentials")
        self.credentials = Token(token)

    def describe(self, cls: str) -> str:
        return f"{cls}(endpoint={self.origin!r}, project_id={self.project_id!r}, credentials={self.credentials!r})"

    # --- the request and credential path: every operation's request goes through prepare() and authorize()

    def prepare(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        params: Mapping[str, object] | None = None,
    ) -> Request:
        """A request to `path` (already percent-encoded) on the endpoint, as it will be sent and signed.

        The query is written as the signer reads it back (sorted, each side encoded), so that what is
        signed is what is sent; `headers` are those of the operation, beside the client's own.
        """
        query = _signing.canonical_query((k, _query_value(v)) for k, v in params.items()) if params else ""
        url = f"{self.base}{path}?{query}" if query else self.base + path
        fixed = {**self.headers, **headers, "Accept-Encoding": ACCEPT_ENCODING}
        return Request(method.upper(), url, fixed, body)

    def from_generated(self, kwargs: Mapping[str, Any]) -> Request:
        """The request a generated operation's `_get_kwargs()` describes: method, path, query, JSON body."""
        body = b""
        if "json" in kwargs:
            body = json.dumps(kwargs["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        return self.prepare(kwargs["method"], kwargs["url"], kwargs.get("headers", {}), body, kwargs.get("params"))

    def authorize(self, request: Request, now: float | None = None) -> tuple[Request, dict[str, str]]:
        """The request with the credentials' headers, and those headers (a 401 hands them back)."""
        added = self.credentials.apply(
            request.method, request.url, request.headers, request.body, project_id=self.project_id, now=now
        )
        return Request(request.method, request.url, {**request.headers, **added}, request.body), added

    def reauthorize(self, outcome: Outcome, added: Mapping[str, str], resent: bool) -> bool:
        """After a 401 (the call was not taken), whether to send once more with fresh credentials."""
        if resent or not isinstance(outcome, Answer) or outcome.status != 401 or outcome.problem is not None:
            return False
        again = self.credentials.retry_unauthorized(added)
        if again:
            log.info("resending once after 401 with fresh credentials")
        return again

    def login_response(self, outcome: Outcome, budget: float) -> HttpResponse:
        """An IAM login's answer for the credentials to read, or the error for no usable answer."""
        if isinstance(outcome, Failure):
            raise self.transport_error(outcome, 1, budget, where="the IAM endpoint") from None
        if outcome.problem is not None:
            raise ProtocolError(f"IAM answered HTTP {outcome.status} {outcome.problem}", status=outcome.status)
        return HttpResponse(outcome.status, outcome.headers, outcome.body)

    # --- invoke_async

    def invoke_request(self, function_urn: str, payload: Mapping[str, Any]) -> Request:
        route = self._routes.get(function_urn) if isinstance(function_urn, str) else None
        method, url, headers = route or self._route(function_urn)
        if not isinstance(payload, Mapping) or not all(isinstance(k, str) for k in payload):
            raise InvalidRequestError("payload must be a mapping with string keys (a JSON object)")
        # The generated package is imported where it is used: at the top it was a fifth of `import fgs`.
        from fgs_client.models import InvocationEvent

        try:
            # Encoded here, not by a transport, so a payload that is not JSON fails before anything is sent.
            content = json.dumps(
                InvocationEvent.from_dict(payload).to_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidRequestError(f"payload is not JSON-serialisable: {exc}") from None
        return Request(method, url, headers, content.encode("utf-8"))

    def _route(self, function_urn: str) -> tuple[str, str, dict[str, str]]:
        """Method, URL and fixed headers from the generated operation, kept per URN.

        Building them costs two percent-encodings per call otherwise, a measurable share of a local call.
        """
        from fgs_client.api.invocation import invoke_function_async as operation
        from fgs_client.models import InvocationEvent

        check_segment("function_urn", function_urn)
        kwargs = operation._get_kwargs(self.project_id, function_urn, body=InvocationEvent())
        request = self.prepare(kwargs["method"], kwargs["url"], kwargs["headers"])
        route = (request.method, request.url, request.headers)
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
        return self._redactor_now().text(text)

    def _redactor_now(self) -> Redactor:
        """A Redactor for the credentials' secrets of the moment (an IAM token changes on refresh)."""
        secrets = self.credentials.secrets()
        if secrets != self._redactor.secrets:
            self._redactor = Redactor(*secrets)
        return self._redactor

    def interpret(self, answer: Answer, attempts: int, function_urn: str = "") -> str:
        """The request_id of an accepted call, or the FgsError that explains the answer."""
        if answer.status == 202 and answer.problem is None:
            return self._accepted(answer.body, _json_object(answer.body), attempts)
        raise self.refusal(answer, attempts, function_urn)

    def refusal(self, answer: Answer, attempts: int, function_urn: str = "") -> FgsError:
        """The error for an answer other than the operation's success: documented, or a broken contract."""
        status = answer.status
        if answer.problem is not None:
            return ProtocolError(f"HTTP {status} answer {answer.problem}", status=status, attempts=attempts)
        data = _json_object(answer.body)
        body = self._redactor_now().bytes(answer.body) if answer.body else answer.body
        code = msg = None
        if data is not None:
            fields = {k: data.get(k) for k in ("error_code", "error_msg")}
            if all(isinstance(v, str) for v in fields.values()):
                from fgs_client.models import ErrorResponse

                parsed = ErrorResponse.from_dict(fields)
                code, msg = self.redact(parsed.error_code), self.redact(parsed.error_msg)
            else:
                code = self.redact(fields["error_code"]) if isinstance(fields["error_code"], str) else None
                msg = self.redact(fields["error_msg"]) if isinstance(fields["error_msg"], str) else None
        error = API_ERRORS.get(status)
        if error is not None:
            summary = f"HTTP {status} {code or ''}: {msg or _snippet(body)}".replace(" :", ":")
            if status == 403 and "read as" not in (msg or ""):  # unless the server said it already
                summary += short_form_note(function_urn)
            refused = error(summary, status=status, error_code=code, error_msg=msg, body=body, attempts=attempts)
            if isinstance(refused, RateLimitError):
                refused.retry_after = parse_retry_after(answer.retry_after)
            return refused
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
            from fgs_client.models import InvocationAccepted

            return InvocationAccepted.from_dict({"request_id": request_id}).request_id
        # Redacted only here: an accepted call's body is never shown, so it need not pay for it.
        raise ProtocolError(
            f"202 without a usable request_id: {self.redact(_describe(request_id))}",
            status=202,
            body=self._redactor_now().bytes(raw),
            attempts=attempts,
        )

    def conclude(self, outcome: Outcome, attempts: int, budget: float, function_urn: str = "") -> str:
        """The request_id, or the error for the last outcome; called when no retry follows."""
        if isinstance(outcome, Answer):
            return self.interpret(outcome, attempts, function_urn)
        # Not chained: a transport exception's text could quote the token. Only its class name is kept.
        raise self.transport_error(outcome, attempts, budget) from None

    def transport_error(self, failure: Failure, attempts: int, budget: float, where: str = "") -> FgsError:
        where = where or self.origin
        if failure.kind == "timeout":
            return RequestTimeoutError(f"no complete answer from {where} within {budget:.3g} s", attempts=attempts)
        error: TransportError
        if failure.kind == "connect-timeout":
            error = RequestTimeoutError(f"timed out connecting to {where}", attempts=attempts)
        elif failure.kind == "refused":
            error = TransportError(f"could not connect to {where} ({failure.cause})", attempts=attempts)
        if failure.kind in _NOT_SENT:
            error.sent = False
            return error
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


def short_form_note(function_urn: str) -> str:
    """How a short URN of three or four fields reads, for a 403 that would otherwise puzzle: its first
    field is the project, so `default:hello:latest` names project `default`."""
    fields = function_urn.split(":")
    if function_urn.startswith("urn:") or len(fields) not in (3, 4):
        return ""
    note = f" ({function_urn} was read as <project>:<package>:<name>[:<version>], naming project {fields[0]}"
    if len(fields) == 3:
        note += f"; for package {fields[0]}, function {fields[1]}, version {fields[2]}, write <project>:{function_urn}"
    return note + ")"


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


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
