"""Where the contract is: inside the wheel, or in the source checkout's spec/ folder (the single source)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
OPERATION_ID = "invokeFunctionAsync"  # the one operation the suite holds endpoints to
OPERATION_PATH = "/v2/{project_id}/fgs/functions/{function_urn}/invocations-async"


def spec_path() -> Path:
    bundled = PACKAGE_DIR / "openapi.yaml"  # the wheel carries a copy, force-included at build time
    if bundled.is_file():
        return bundled
    checkout = PACKAGE_DIR.parents[1] / "spec" / "openapi.yaml"
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"the contract (openapi.yaml) is neither in {PACKAGE_DIR} nor in {checkout.parent}")


@cache
def load() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return loaded


def operation() -> dict[str, Any]:
    found: dict[str, Any] = load()["paths"][OPERATION_PATH]["post"]
    return found


def example_body() -> bytes:
    return json.dumps(operation()["requestBody"]["content"]["application/json"]["example"]).encode()
