"""`make test` on both cores: which tests share a worker, and what the target runs."""

from __future__ import annotations

import re
import subprocess
import sys

from contract_tests.conftest import LONGEST_FIRST, ROOT, TESTS, TIMING_GROUP, group_rank, xdist_group


def test_each_venv_of_the_package_tests_is_used_by_one_module_so_built_once() -> None:
    # Each module is a group of its own: a venv two modules used could be built on both workers.
    users: dict[str, set[str]] = {}
    for module in (TESTS / "package").glob("test_*.py"):
        assert xdist_group(f"package/{module.name}") == f"package/{module.name}"
        for flavour in re.findall(r'installed\("([^"]*)"', module.read_text()):
            users.setdefault(flavour, set()).add(module.name)
    assert users.keys() == {"", "mock", "conformance"}, users
    assert all(len(modules) == 1 for modules in users.values()), users


def test_the_longest_groups_go_first_and_name_real_groups() -> None:
    for group in LONGEST_FIRST:
        assert group == TIMING_GROUP or (TESTS / group).is_file(), f"no such module: {group}"
        assert xdist_group(group) == group, f"{group} is part of another group"
    shuffled = ["spec/test_docs.py", "package/test_conformance_wheel.py", "conformance/test_bites.py"]
    assert sorted(shuffled, key=group_rank) == [
        "conformance/test_bites.py",
        "package/test_conformance_wheel.py",
        "spec/test_docs.py",
    ]


def test_timing_tests_run_one_after_another_and_other_modules_stay_whole() -> None:
    assert xdist_group("hostile/test_client_trickle.py") == TIMING_GROUP
    assert xdist_group("mock/test_durability.py") == TIMING_GROUP
    # A module is one group: its module-scoped fixtures (test_bites's suite runs) are built once.
    assert xdist_group("conformance/test_bites.py") == "conformance/test_bites.py"


def test_make_test_builds_the_site_runs_both_cores_and_lists_the_slowest() -> None:
    makefile = (ROOT / "Makefile").read_text()
    test_target = re.search(r"^test: .*\n\t(.*)", makefile, re.MULTILINE)
    assert test_target is not None
    # Every step, side by side, each one run even when another failed.
    steps = set(test_target.group(1).split())
    assert {"-k", "-j", "check-generated", "lint", "typecheck", "docs", "contract", "unit"} <= steps
    assert "-n $(PYTEST_WORKERS) --dist loadgroup" in makefile
    assert re.search(r"^docs: .*\n\t.*mkdocs build --strict", makefile, re.MULTILINE)
    assert "--durations=10" in (ROOT / "pyproject.toml").read_text()


def test_a_module_stays_on_one_worker_under_make_tests_options() -> None:
    """test_fixture.py's second test needs the first to have run in its process: split over two workers
    (as xdist's own loadgroup does under pytest 9.2), it fails."""
    command = [sys.executable, "-m", "pytest", "-p", "no:schemathesis", "-p", "no:cacheprovider", "-q"]
    command += ["-n", "2", "--dist", "loadgroup", "contract_tests/mock/test_fixture.py"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_run_started_with_sigint_ignored_still_lets_its_commands_take_ctrl_c() -> None:
    # As a background job of a shell starts it: without the conftest's handler, each command started
    # by the tests would inherit the ignored SIGINT, and the Ctrl-C tests would wait out their bound.
    script = (
        "import signal, subprocess, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from contract_tests import conftest\n"
        "conftest.pytest_configure(None)\n"
        "probe = 'import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)'\n"
        "print(subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True).stdout.strip())\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.stdout.strip() == "True", found.stderr
