"""Loading a script of scripts/ as a module, for the tests of what it computes."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from contract_tests.conftest import ROOT


def load_script(name: str) -> ModuleType:
    # The scripts import one another by name, as they do when run from their folder.
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the script look their module up here
    spec.loader.exec_module(module)
    return module
