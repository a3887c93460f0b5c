"""What the schemathesis-driven checks share: their answers, seen as the rest of the suite sees them."""

from __future__ import annotations

import httpx
import requests
import schemathesis

from fgs_conformance import expectations
from fgs_conformance.context import current
from fgs_conformance.signing import credential_headers


def observed(response: schemathesis.Response) -> httpx.Response:
    """The answer as an httpx.Response, after observe(): counted, searched for tokens, its request_id held."""
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    as_httpx = httpx.Response(response.status_code, headers=headers, content=response.content)
    sent = response.request.headers.get("X-Auth-Token")
    expectations.observe(as_httpx, [sent] if isinstance(sent, str) else [])
    return as_httpx


class SignInsteadOfToken(requests.auth.AuthBase):
    """Puts a signature where the case has `X-Auth-Token`, as requests sends it (the body bytes and URL final)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.headers.pop("X-Auth-Token", None) is None:
            return request
        raw = request.body
        body = raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else b""
        signed = {k: str(v) for k, v in request.headers.items() if k.lower() == "content-type"}
        method, url = request.method or "POST", request.url or ""
        request.headers.update(credential_headers(current().settings, method, url, signed, body))
        return request
