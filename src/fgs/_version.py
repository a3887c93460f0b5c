"""The installed distribution's version, read on first use: importlib.metadata would slow `import fgs`."""

from __future__ import annotations

from functools import cache

DISTRIBUTION = "fgs-async-contract"


@cache
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
