"""The runtime sits beside the engine: it imports neither the store nor anything of HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import fgs_mock.runtime

RUNTIME = Path(fgs_mock.runtime.__file__).resolve().parent
# The mock's modules the runtime may use: its own, the canned behaviours' timeout code, and URNs.
ALLOWED = ("fgs_mock.runtime", "fgs_mock.behaviour", "fgs_mock.urn")


def _imports(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
    return found


def test_the_runtime_imports_no_store_and_no_http() -> None:
    sources = sorted(RUNTIME.glob("*.py"))
    assert len(sources) >= 6
    for source in sources:
        for module in _imports(source):
            if module.split(".")[0] in ("fgs_mock", "fgs", "fgs_client"):
                assert module.startswith(ALLOWED), f"{source.name} imports {module}"
            assert module.split(".")[0] not in ("httpx", "starlette", "uvicorn", "http", "sqlite3"), (
                f"{source.name} imports {module}"
            )
