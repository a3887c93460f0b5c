"""Which handler a request path reaches, with its path parameters percent-decoded segment by segment."""

from __future__ import annotations

from typing import Literal, NamedTuple
from urllib.parse import unquote

Route = Literal["invoke", "async-invocations", "cancel", "async-invoke-config", "control", "iam", "unknown"]
_ROUTES: dict[str, Route] = {
    "invocations-async": "invoke",
    "async-invocations": "async-invocations",
    "cancel": "cancel",
    "async-invoke-config": "async-invoke-config",
}
CONTROL_PREFIX = "/_mock/"
IAM_TOKENS = "/v3/auth/tokens"


class Match(NamedTuple):
    route: Route
    params: dict[str, str]


MAX_REMEMBERED = 4096  # operation paths whose decoding is kept: clients repeat a handful of them


_remembered: dict[bytes, tuple[Route, str, str]] = {}


def match(raw_path: bytes) -> Match:
    known = _remembered.get(raw_path)
    if known is not None:  # percent-decoding was a tenth of the Python a 202 costs
        return Match(known[0], {"project_id": known[1], "function_urn": known[2]})
    found = _match(raw_path)
    if "function_urn" in found.params:
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[raw_path] = (found.route, found.params["project_id"], found.params["function_urn"])
    return found


def _match(raw_path: bytes) -> Match:
    # Split the raw path before decoding: an encoded "/" inside a URN must stay inside that segment.
    path = raw_path.decode("latin-1")
    if path.startswith(CONTROL_PREFIX):
        return Match("control", {"name": path[len(CONTROL_PREFIX) :]})
    if path == IAM_TOKENS:
        return Match("iam", {})
    segments = path.split("/")
    # "", "v2", project_id, "fgs", "functions", function_urn, operation
    if (
        len(segments) == 7
        and segments[0] == ""
        and segments[1] == "v2"
        and segments[3] == "fgs"
        and segments[4] == "functions"
        and segments[6] in _ROUTES
        and segments[2]
        and segments[5]
    ):
        # Invalid UTF-8 decodes to U+FFFD, which no project or URN contains: refused, never a crash.
        return Match(_ROUTES[segments[6]], {"project_id": unquote(segments[2]), "function_urn": unquote(segments[5])})
    return Match("unknown", {})
