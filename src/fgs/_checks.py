"""Arguments checked before anything is sent; each failure is an InvalidRequestError naming the argument."""

from __future__ import annotations

import math
from collections.abc import Mapping

import httpx

from fgs.errors import InvalidRequestError

# Values that httpx or a server would read as path syntax rather than data.
_PATH_CHANGING = frozenset({"", ".", ".."})


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


def check_endpoint(endpoint: object) -> httpx.URL:
    if not isinstance(endpoint, str):
        raise InvalidRequestError(f"endpoint must be a string, not {type(endpoint).__name__}")
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidRequestError(f"endpoint {endpoint[:100]!a} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidRequestError(f"endpoint {endpoint[:100]!a} needs an http(s) scheme and a host")
    return url


def origin(url: httpx.URL) -> str:
    """scheme://host:port, the port always written: how errors name the endpoint (never its userinfo)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}"


def check_token(token: object) -> str:
    # Never quote the token here: this message is the one place a rejected secret could leak from.
    if not isinstance(token, str):
        raise InvalidRequestError(f"token must be a string, not {type(token).__name__}")
    if not token:
        raise InvalidRequestError("token must not be empty")
    if not all("\x21" <= c <= "\x7e" for c in token):
        raise InvalidRequestError("token must hold visible ASCII characters only (no spaces or control characters)")
    return token


def extra_headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidRequestError(f"headers must be a mapping, not {type(headers).__name__}")
    copied = {k: v for k, v in headers.items() if isinstance(k, str) and isinstance(v, str)}
    if len(copied) != len(headers):
        raise InvalidRequestError("headers must map strings to strings")
    if any(name.lower() in ("x-auth-token", "authorization") for name in copied):
        raise InvalidRequestError("pass the token as token=, not as a header")
    return copied


def _seconds(name: str, value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidRequestError(f"{name} must be a finite number of seconds above 0, not {value!r}")
    return float(value)


def check_timeout(timeout: object) -> tuple[httpx.Timeout, float]:
    """The per-operation timeouts httpx applies, and the bound of the whole call: the largest of them."""
    if isinstance(timeout, httpx.Timeout):
        parts = [
            _seconds(f"timeout.{name}", getattr(timeout, name), optional=True)
            for name in ("connect", "read", "write", "pool")
        ]
        bounds = [p for p in parts if p is not None]
        if not bounds:
            raise InvalidRequestError("timeout must bound the call: an httpx.Timeout with every part None does not")
        return timeout, max(bounds)
    seconds = _seconds("timeout", timeout)
    assert seconds is not None
    return httpx.Timeout(seconds), seconds


def check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def base_url(url: httpx.URL) -> str:
    """The endpoint that request paths are appended to: scheme, host, port as given, and any base path."""
    raw_host = url.raw_host.decode("ascii")  # IDNA-encoded, as it goes on the wire
    host = f"[{raw_host}]" if ":" in raw_host else raw_host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.raw_path.decode('ascii').split('?')[0].rstrip('/')}"
