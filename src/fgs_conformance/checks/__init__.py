"""The checks, one module per concern; a check's name is its module's name with hyphens."""

from __future__ import annotations

import ast
from pathlib import Path

CHECKS_DIR = Path(__file__).resolve().parent
# In run order; each module docstring's first line describes the check.
NAMES = (
    "acceptance",
    "auth",
    "credentials",
    "signatures",
    "scoping",
    "isolation",
    "existence",
    "urn-space",
    "methods",
    "bodies",
    "json-edge-cases",
    "lifecycle",
    "pagination",
    "filters",
    "lifecycle-shapes",
    "async-config",
    "stateful",
    "property",
    "reflection",
    "request-ids",
)


def module_path(name: str) -> Path:
    return CHECKS_DIR / f"{name.replace('-', '_')}.py"


def check_of(nodeid: str) -> str:
    """The check a pytest node belongs to: `checks/auth.py::test_x[y]` -> `auth`."""
    return Path(nodeid.split("::", 1)[0]).stem.replace("_", "-")


def describe(name: str) -> str:
    # Parsed, not imported: importing the property check builds a schema from the run's settings.
    docstring = ast.get_docstring(ast.parse(module_path(name).read_text(encoding="utf-8"))) or ""
    return docstring.partition("\n")[0]
