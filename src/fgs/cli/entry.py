"""The console scripts `fgs-mock` and `fgs-conformance` start here, in the one package every install has.

Their own modules need an extra (the server stack, pytest and schemathesis). Loaded from here by name,
a client-only install gets one line naming the extra to install instead of a ModuleNotFoundError, and
Ctrl-C or a closed pipe, during start-up or after, ends the command without a traceback.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable

from fgs.cli.pipes import quiet_stdout

USAGE, INTERRUPTED = 2, 130
OWN_PACKAGES = frozenset({"fgs", "fgs_mock", "fgs_conformance", "fgs_client"})


def run(prog: str, extra: str, target: str) -> int:
    """Imports `module:function` and calls it; the command's exit status."""
    module, _, name = target.partition(":")

    def load_and_run() -> int | None:
        try:
            main: Callable[[], int | None] = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.partition(".")[0] in OWN_PACKAGES:
                raise  # a fault of this package, not a missing extra
            sys.stderr.write(
                f"{prog}: needs the [{extra}] extra ({exc.name} is not installed): "
                f"pip install 'fgs-async-contract[{extra}]'\n"
            )
            return USAGE
        return main()

    return call(prog, load_and_run)


def call(prog: str, main: Callable[[], int | None]) -> int:
    """Runs a command's main: Ctrl-C and a closed stdout end it with a status, not a traceback."""
    try:
        return int(main() or 0)
    except KeyboardInterrupt:
        # Ctrl-C between making a coroutine and running it (a server starting up) leaves it unawaited:
        # its warning, printed as the traceback is let go, would follow the one line.
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        sys.stderr.write(f"{prog}: interrupted\n")
        return INTERRUPTED
    except BrokenPipeError:
        return quiet_stdout()


def fgs_mock() -> int:
    return run("fgs-mock", "mock", "fgs_mock.__main__:main")


def fgs_conformance() -> int:
    return run("fgs-conformance", "conformance", "fgs_conformance.cli:main")
