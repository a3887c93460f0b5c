"""What the contract allows in a response, shared by the targeted tests and the property tests."""

from __future__ import annotations

import json
import threading

import httpx

from fgs.error_codes import ERROR_CODES

DOCUMENTED = frozenset({202, 400, 401, 403, 404, 500, 503})
DOCUMENTED_4XX = frozenset({400, 401, 403, 404})
TOKEN_REFUSED = frozenset({401, 403})


class ContractBreak(AssertionError):
    pass


def _json_body(response: httpx.Response) -> object:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ContractBreak(f"{response.status_code} answered with Content-Type {media_type or 'none'!r}, not JSON")
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise ContractBreak(f"{response.status_code} body is not valid JSON: {exc}") from None


def check_error_body(response: httpx.Response) -> dict[str, str]:
    """An error answer carries {error_code, error_msg} as strings; a listed code has this status."""
    body = _json_body(response)
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


class RequestIds:
    """Every request_id the run was given; a repeat is a contract break at the moment it arrives."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def add(self, request_id: str) -> None:
        with self._lock:
            if request_id in self._seen:
                raise ContractBreak(f"request_id {request_id!r} was handed out twice")
            self._seen.add(request_id)

    def __len__(self) -> int:
        return len(self._seen)


REQUEST_IDS = RequestIds()


def check_accepted(response: httpx.Response) -> str:
    if response.status_code != 202:
        raise ContractBreak(f"expected 202 Accepted, got {response.status_code}: {response.text[:200]!r}")
    body = _json_body(response)
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(request_id, str) or not request_id.strip():
        raise ContractBreak(f"202 without a usable request_id: {response.text[:200]!r}")
    REQUEST_IDS.add(request_id)
    return request_id


def check_response(response: httpx.Response, allowed: frozenset[int]) -> None:
    """The status is one of `allowed`, and the body is what that status promises."""
    if response.status_code not in allowed:
        raise ContractBreak(f"got {response.status_code}, expected one of {sorted(allowed)}: {response.text[:200]!r}")
    if response.status_code == 202:
        check_accepted(response)
    else:
        check_error_body(response)
