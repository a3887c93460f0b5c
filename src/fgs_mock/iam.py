"""IAM's token route, `POST /v3/auth/tokens`, for the users registered on the Backend's TokenIssuer.

A 201 carries the token in `X-Subject-Token` and `token.expires_at` in the body. Refusals use IAM's
own (keystone's) error shape, `{"error": {"code", "title", "message"}}`, not FunctionGraph's: this is
another service, and clients read it as such.
"""

from __future__ import annotations

import json

from fgs_mock.auth import UNAUTHORIZED, AuthRefusal, TokenIssuer

_TITLES = {400: "Bad Request", 401: "Unauthorized", 405: "Method Not Allowed"}

Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]


def _error(status: int, message: str) -> bytes:
    return json.dumps({"error": {"code": status, "title": _TITLES[status], "message": message}}).encode()


def answer(issuer: TokenIssuer, method: str, body: bytes | None) -> Answer:
    """The answer to one request on the route; `body` is None when it was over the size cap."""
    if method != "POST":
        return 405, _error(405, "Only POST logs in."), [(b"allow", b"POST")]
    if body is None:
        return 400, _error(400, "The login body is too large."), []
    try:
        token = issuer.issue(body)
    except AuthRefusal as refusal:
        status = 401 if refusal.code == UNAUTHORIZED else 400
        return status, _error(status, refusal.reason), []
    return 201, json.dumps(token.body()).encode(), [(b"x-subject-token", token.value.encode())]
