"""What the contract allows in a response, shared by the targeted tests and the property tests."""

from __future__ import annotations

import json
from collections.abc import Iterable

import httpx

from fgs.error_codes import ERROR_CODES
from fgs_conformance.context import REFLECTION_MIN_LENGTH, Run, current

DOCUMENTED = frozenset({202, 400, 401, 403, 404, 429, 500, 503})  # the invocation operation's statuses
DOCUMENTED_4XX = frozenset({400, 401, 403, 404})
TOKEN_REFUSED = frozenset({401, 403})


class ContractBreak(AssertionError):
    pass


def json_body(response: httpx.Response) -> object:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ContractBreak(f"{response.status_code} answered with Content-Type {media_type or 'none'!r}, not JSON")
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise ContractBreak(f"{response.status_code} body is not valid JSON: {exc}") from None


def check_error_body(response: httpx.Response) -> dict[str, str]:
    """An error answer carries {error_code, error_msg} as strings; a listed code has this status."""
    body = json_body(response)
    if not isinstance(body, dict):
        raise ContractBreak(f"{response.status_code} body is {type(body).__name__}, not an object")
    for name in ("error_code", "error_msg"):
        if not isinstance(body.get(name), str):
            raise ContractBreak(f"{response.status_code} body lacks {name} as a string: {body!r:.200}")
    listed = ERROR_CODES.get(body["error_code"])
    if listed is not None and listed.status != response.status_code:
        raise ContractBreak(
            f"error_code {body['error_code']} belongs to status {listed.status}, answered with {response.status_code}"
        )
    return body


def check_accepted(response: httpx.Response) -> str:
    if response.status_code != 202:
        raise ContractBreak(f"expected 202 Accepted, got {response.status_code}: {response.text[:200]!r}")
    body = json_body(response)
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(request_id, str) or not request_id.strip():
        raise ContractBreak(f"202 without a usable request_id: {response.text[:200]!r}")
    return request_id  # observe() has already held it against every other id of the run


def observe(response: httpx.Response, sent_tokens: Iterable[str]) -> None:
    """Every answer of the run passes here: counted, searched for tokens; a 202 is charged and its id held.

    Raises ContractBreak for a quoted token or a repeated request_id, and keeps a note of either for the
    run-wide checks.
    """
    run = current()
    run.recorder.saw(response.status_code)
    run.profile.saw(response)
    if run.exchanges is not None:
        run.exchanges.append((run.recorder.current, response))
    _reflections(run, response, sent_tokens)
    if response.status_code == 202:
        run.budget.caused()
        _hold_request_id(run, response)


def _hold_request_id(run: Run, response: httpx.Response) -> None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return  # check_accepted reports it
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(request_id, str) or not request_id:
        return
    with run.lock:
        repeated = request_id in run.request_ids
        run.request_ids.add(request_id)
    if repeated:
        message = f"request_id {request_id!r} was handed out twice in this run"
        run.repeats.append(f"{run.recorder.current}: {message}")
        raise ContractBreak(message)


def _reflections(run: Run, response: httpx.Response, sent_tokens: Iterable[str]) -> None:
    tokens = {t for t in (*sent_tokens, *run.secrets) if len(t) >= REFLECTION_MIN_LENGTH}
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
    for token in tokens:
        encoded = token.encode()
        where = [part for part, text in (("headers", headers.encode()), ("body", response.content)) if encoded in text]
        if where:
            # Say where, never what: the quoted token is a secret or nearly one.
            message = f"the {response.status_code} answer quoted a token it was sent, in its {' and '.join(where)}"
            run.reflections.append(f"{run.recorder.current}: {message}")
            raise ContractBreak(message)


def check_response(response: httpx.Response, allowed: frozenset[int]) -> None:
    """The status is one of `allowed`, and the body is what that status promises."""
    if response.status_code not in allowed:
        raise ContractBreak(f"got {response.status_code}, expected one of {sorted(allowed)}: {response.text[:200]!r}")
    if response.status_code == 202:
        check_accepted(response)
    else:
        check_error_body(response)
