"""The project, function and routes that the respx tests of both clients use."""

from __future__ import annotations

PROJECT = "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60"
URN = f"urn:fss:eu-de:{PROJECT}:function:default:hello:latest"


def route(tail: str) -> str:
    """A respx path regex for one operation; the named groups arrive as keyword arguments of a side effect."""
    # respx matches decoded paths.
    return rf"^/v2/(?P<project_id>[^/]+)/fgs/functions/(?P<urn>[^/]+)/{tail}$"


ROUTE = route("invocations-async")
