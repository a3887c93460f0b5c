"""Top-level handlers the fixture registers by reference (`handler=double`)."""

from __future__ import annotations

from typing import Any


def double(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"doubled": event["n"] * 2, "function": context.getFunctionName()}


def refuse(event: dict[str, Any], context: Any) -> None:
    raise KeyError("n")
