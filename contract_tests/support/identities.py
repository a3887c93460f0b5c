"""The project, function and route that the respx tests of both clients use."""

from __future__ import annotations

PROJECT = "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60"
URN = f"urn:fss:eu-de:{PROJECT}:function:default:hello:latest"
# respx matches decoded paths; the named groups arrive as keyword arguments of a side effect.
ROUTE = r"^/v2/(?P<project_id>[^/]+)/fgs/functions/(?P<urn>[^/]+)/invocations-async$"
