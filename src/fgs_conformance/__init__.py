"""fgs-conformance: holds any endpoint to FunctionGraph's documented async-invocation contract.

Run it as `fgs-conformance` or `python -m fgs_conformance`; `fgs_conformance.cli.main` is the entry point.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    if name == "__version__":
        from fgs._version import package_version

        return package_version()
    raise AttributeError(f"module 'fgs_conformance' has no attribute {name!r}")
