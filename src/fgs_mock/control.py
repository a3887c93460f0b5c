"""The `/_mock/` control routes: test hooks outside the contract.

Each request is validated whole before anything changes, so a refused request (400) changes nothing.
When a control token is set, every control request must carry it in `X-Mock-Control-Token`.
"""

from __future__ import annotations

import codecs
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qsl

from fgs_mock.answers import Answer, Invalid, error, json_object
from fgs_mock.behaviour import Behaviour
from fgs_mock.models import Backend
from fgs_mock.store import MAX_PAGE, Invocation
from fgs_mock.urn import FunctionRef, MalformedUrn, parse_urn

MAX_CONTROL_BODY = 64 * 1024
DEFAULT_PAGE = 100
CONTROL_TOKEN_HEADER = b"x-mock-control-token"
FAULT_KEYS = frozenset({"status", "next", "share", "seed", "retry_after", "delay", "drop", "stall"})


def _object(body: bytes, allowed: frozenset[str]) -> dict[str, object]:
    args = json_object(body, empty=True)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise Invalid(f"unknown keys: {', '.join(unknown)}"[:200])
    return args


def _string(args: Mapping[str, object], key: str, *, required: bool) -> str | None:
    value = args.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a string")
    return value


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _listing_item(invocation: Invocation) -> bytes:
    # The body was parsed as a JSON object before it was accepted: splice it in rather than parse and
    # re-encode it. Other encodings (JSON allows UTF-16 and -32, and a BOM) go through json.
    body = invocation.body
    if body.startswith(codecs.BOM_UTF8) or not _is_utf8(body):
        try:
            body = json.dumps(json.loads(body)).encode()
        except (ValueError, RecursionError):
            body = b"null"
    # Formatted by hand: json.dumps of a dict per row made a page of 1,000 take twice as long.
    function = json.dumps(invocation.function.short_urn)
    head = (
        f'{{"request_id": {json.dumps(invocation.request_id)}, "function": {function}, '
        f'"accepted_at": {invocation.accepted_at!r}, "size": {len(invocation.body)}, "body": '
    )
    return head.encode() + body + b"}"


def _shown(document: dict[str, Any]) -> dict[str, Any]:
    """A function's document as the control route shows it: user data keys only, as values may be secrets."""
    code = document.get("code")
    if isinstance(code, dict) and code.get("user_data"):
        return {**document, "code": {**code, "user_data": dict.fromkeys(code["user_data"], "***")}}
    return document


class Control:
    def __init__(self, backend: Backend, token: str | None = None) -> None:
        self.backend = backend
        if token is not None and not (token and all("!" <= c <= "~" for c in token)):
            raise ValueError("the control token must be non-empty visible ASCII")
        self._token = None if token is None else token.encode()
        self.token_set = token is not None
        self.answered: dict[int, int] = {}  # status -> how many answers of the invocation route had it

    def authorised(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        if self._token is None:
            return True
        given = [value for name, value in headers if name == CONTROL_TOKEN_HEADER]
        # Exactly once: with two, which one counts would depend on the server in front.
        return len(given) == 1 and hmac.compare_digest(given[0], self._token)

    def handle(self, method: str, name: str, query: bytes, body: bytes) -> Answer:
        try:
            return self._route(method, name, query, body)
        except Invalid as refused:
            return error(400, "FSS.0400", f"Invalid parameter: {refused}")

    def _route(self, method: str, name: str, query: bytes, body: bytes) -> Answer:
        if (name, method) == ("invocations", "GET"):
            return self._list(query)
        if (name, method) == ("invocations", "DELETE"):
            self.backend.invocations.clear()
            return 204, b"", []
        if (name, method) == ("faults", "GET"):
            return 200, json.dumps(self.backend.faults.snapshot()).encode(), []
        if (name, method) == ("faults", "POST"):
            self._plan_faults(body)
            return 204, b"", []
        if (name, method) == ("faults", "DELETE"):
            self.backend.faults.clear()
            return 204, b"", []
        if (name, method) == ("functions", "GET"):
            behaviours = {urn: _shown(json.loads(text)) for urn, text in self.backend.invocations.functions().items()}
            return 200, json.dumps({"functions": self.backend.functions(), "behaviours": behaviours}).encode(), []
        if (name, method) == ("functions", "POST"):
            args = _object(body, frozenset({"urn", "project_id", "behaviour"}))
            urn = _string(args, "urn", required=True)
            project_id = _string(args, "project_id", required=False)
            text = _string(args, "behaviour", required=False)
            assert urn is not None
            try:
                parse_urn(urn)
                behaviour = None if text is None else Behaviour.parse(text)
                ref = self.backend.register_function(urn, project_id=project_id, behaviour=behaviour)
            except (MalformedUrn, ValueError) as exc:
                raise Invalid(str(exc)[:200]) from None
            return 201, json.dumps({"function": ref.short_urn}).encode(), []
        if name.startswith("invocations/") and method == "GET":
            return self._invocation(name.removeprefix("invocations/"))
        if (name, method) == ("notifications", "GET"):
            sent = [asdict(n) for n in self.backend.invocations.notifications()]
            return 200, json.dumps({"notifications": sent}).encode(), []
        return error(404, "FSS.0404", "No such control route.")

    def _invocation(self, request_id: str) -> Answer:
        """One accepted invocation: its run, and what its code returned, raised and printed."""
        run = self.backend.invocations.run(request_id)
        if run is None:
            return error(404, "FSS.0404", "No such invocation.")
        output = self.backend.invocations.output(request_id)
        result, failure, logs = (None, None, "") if output is None else output
        answer = {
            "request_id": run.request_id,
            "function_urn": FunctionRef.of_short_urn(run.function).full_urn(self.backend.region),
            "run_status": run.status,
            "attempts": run.attempts,
            "accepted_at": run.accepted_at,  # epoch seconds, as the engine stamped them
            "start_time": run.start_time,
            "end_time": run.end_time,
            "error_code": run.error_code,
            "error_message": run.error_message,
            "result": None if result is None else json.loads(result),
            "error": None if failure is None else json.loads(failure),
            "logs": logs,
        }
        return 200, json.dumps(answer).encode(), []

    def _plan_faults(self, body: bytes) -> None:
        try:
            self.backend.faults.set_from(_object(body, FAULT_KEYS))
        except ValueError as exc:  # Invalid included: the message is the same
            raise Invalid(str(exc)) from None

    def _list(self, query: bytes) -> Answer:
        try:
            pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=bool(query))
        except (UnicodeDecodeError, ValueError):
            raise Invalid("the query string is malformed") from None
        params = dict(pairs)
        if len(params) != len(pairs) or not set(params) <= {"limit", "marker"}:
            raise Invalid("the query takes limit and marker, once each")
        limit = params.get("limit", str(DEFAULT_PAGE))
        if not (limit.isascii() and limit.isdigit() and len(limit) <= 6 and 1 <= int(limit) <= MAX_PAGE):
            raise Invalid(f"limit must be an integer within [1, {MAX_PAGE}]")
        try:
            page = self.backend.invocations.page(int(limit), params.get("marker"))
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        counters = self.backend.invocations.counters()
        head = {
            "accepted": counters.accepted,
            "retained": counters.retained,
            "evicted": counters.evicted,
            "answered": {str(status): count for status, count in sorted(self.answered.items())},
            "statuses": self.backend.invocations.status_counts(),
            "next_marker": page.next_marker,
        }
        items = b", ".join(_listing_item(i) for i in page.invocations)
        return 200, json.dumps(head).encode()[:-1] + b', "invocations": [' + items + b"]}", []
