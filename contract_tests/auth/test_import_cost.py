"""Credentials stay cheap to import: `import fgs` must not grow when they are wired into it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys, fgs
before = set(sys.modules)
import fgs.credentials
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_credentials_add_only_their_own_modules_and_hmac() -> None:
    added = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    assert set(added) <= {"fgs.credentials", "fgs._iam", "fgs._signing", "hmac"}
