"""The battery against FGS_ENDPOINT, configured by the environment, in a process of its own; JSON out.

The checks it runs keep one current run per process, so batteries side by side need a process each.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fgs_conformance.battery import Seen, battery
from fgs_conformance.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def battery_apart(env: Mapping[str, str]) -> tuple[list[Seen], dict[str, Any]]:
    """`battery()` as this module run in a child process with `env` (its FGS_ variables) gives it."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | dict(env)
    done = subprocess.run(
        [sys.executable, "-m", "contract_tests.conformance.battery_apart"],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    answer = json.loads(done.stdout)
    return [Seen(**{**seen, "keys": tuple(seen["keys"])}) for seen in answer["seen"]], answer["profile"]


def main() -> None:
    settings = Settings.resolve(os.environ)
    assert settings.endpoint is not None
    seen, profile = battery(settings.endpoint, settings)
    json.dump({"seen": [dataclasses.asdict(s) for s in seen], "profile": profile}, sys.stdout)


if __name__ == "__main__":
    main()
