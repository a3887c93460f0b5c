"""What the lifecycle and control routes share: their answer type, error bodies, and readers of a JSON body
that refuse (Invalid, so a 400) anything but what they expect."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]  # status, body, extra headers


class Invalid(ValueError):
    """The request is refused with 400 and this message, and nothing changed."""


def error(status: int, code: str, message: str) -> Answer:
    return status, json.dumps({"error_code": code, "error_msg": message}).encode(), []


def json_object(body: bytes | None, *, empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object; with `empty`, no body reads as `{}`."""
    if empty and not body:
        return {}
    try:
        value = json.loads(body or b"")
    except (ValueError, RecursionError):
        raise Invalid("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise Invalid("the body must be a JSON object")
    return value


def integer(args: Mapping[str, object], key: str, default: int, low: int, high: int) -> int:
    """`args[key]`, or `default` when absent: a JSON integer within [low, high]."""
    value = args.get(key, default)
    # bool is an int in Python, but not a count in JSON; 2.9 or 1e999 are not counts either.
    if type(value) is not int or not low <= value <= high:
        raise Invalid(f"{key} must be an integer within [{low}, {high}]")
    return value
