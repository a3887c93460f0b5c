"""What the schemathesis-driven checks share: their answers, seen as the rest of the suite sees them."""

from __future__ import annotations

import httpx
import schemathesis

from fgs_conformance import expectations


def observed(response: schemathesis.Response) -> httpx.Response:
    """The answer as an httpx.Response, after observe(): counted, searched for tokens, its request_id held."""
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    as_httpx = httpx.Response(response.status_code, headers=headers, content=response.content)
    sent = response.request.headers.get("X-Auth-Token")
    expectations.observe(as_httpx, [sent] if isinstance(sent, str) else [])
    return as_httpx
