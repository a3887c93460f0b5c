"""The documentation tells the truth. Every Python example of the README and the site runs as written:
scripts against the mock with only FGS_ENDPOINT set (so their defaults must be the mock's), test files
under pytest with the fgs_mock fixture. The site's nav lists every page, and its command reference
every flag of every command."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.conftest import ROOT
from contract_tests.support.scripts import load_script
from fgs_mock import Backend, create_app, serve_in_thread

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
TEXT = {page.relative_to(ROOT).as_posix(): page.read_text(encoding="utf-8") for page in PAGES}


def _blocks(fence: str) -> list[tuple[str, str]]:
    return [(name, b) for name, text in TEXT.items() for b in re.findall(rf"```{fence}\n(.*?)```", text, re.DOTALL)]


def _ids(blocks: list[tuple[str, str]]) -> list[str]:
    return [f"{name}-{i}" for i, (name, _) in enumerate(blocks)]


BLOCKS = _blocks("python")


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


def _env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | extra


def test_the_readme_and_the_site_have_examples() -> None:
    readme = [block for name, block in BLOCKS if name == "README.md"]
    assert len(readme) >= 2
    assert any("def test_" in block for block in readme)
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("page_and_block", BLOCKS, ids=_ids(BLOCKS))
def test_example_runs(mock: tuple[str, Backend], page_and_block: tuple[str, str], tmp_path: Path) -> None:
    base_url, backend = mock
    _, block = page_and_block
    before = len(backend.invocations)
    if "def test_" in block:
        (tmp_path / "test_readme_block.py").write_text(block)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis"]
        result = subprocess.run(
            command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert " passed" in result.stdout
        return
    result = subprocess.run(
        [sys.executable, "-c", block],
        env=_env(FGS_ENDPOINT=base_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if "invoke" in block:
        assert len(backend.invocations) > before


FRAGMENTS = _blocks("py")
# What a fragment leaves to the reader: values the surrounding text names, never a real secret.
GIVEN = {
    "ak": "FRAGMENTAK0000000000",
    "sk": "fragment-secret-key",
    "security_token": "fragment-security-token",
    "password": "fragment-password",
    "iam_endpoint": "http://127.0.0.1:9",
    "endpoint": "http://127.0.0.1:9",
    "project_id": "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60",
}


@pytest.mark.parametrize("page_and_fragment", FRAGMENTS, ids=_ids(FRAGMENTS))
def test_fragments_name_real_classes_and_arguments(
    page_and_fragment: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`py` fragments are not whole scripts, but each line runs as written once the names they leave open
    are given: a renamed class or argument fails here. Nothing is sent: no client makes a call."""
    import fgs

    page, fragment = page_and_fragment
    monkeypatch.setenv("FGS_ENDPOINT", GIVEN["endpoint"])
    monkeypatch.setenv("FGS_PROJECT_ID", GIVEN["project_id"])
    monkeypatch.setenv("FGS_AUTH_TOKEN", "fragment-token")
    for name in ("AK", "SK", "SECURITY_TOKEN", "PROJECT_ID"):
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_{name}", GIVEN[name.lower()])
    namespace = {"os": os, "fgs": fgs, **GIVEN}
    exec(compile(fragment, f"{page} fragment", "exec"), namespace)  # noqa: S102 - the project's own docs
    clients = [v for v in namespace.values() if isinstance(v, fgs.Client | fgs.AsyncClient)]
    for client in clients:
        if isinstance(client, fgs.Client):
            client.close()


def test_the_readme_is_a_landing_page() -> None:
    readme = TEXT["README.md"]
    assert len(readme.splitlines()) <= 250
    for page in ("docs/call.md", "docs/testing.md", "docs/conformance.md", "docs/emulate.md", "CONTRIBUTING.md"):
        assert page in readme, page


def _nav_files(entries: list[Any]) -> Iterator[str]:
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            yield from _nav_files(value)
        else:
            yield value


def _config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return loaded


def test_every_page_of_the_site_is_in_the_nav_and_every_nav_entry_exists() -> None:
    nav = list(_nav_files(_config()["nav"]))
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(nav) == pages
    assert len(nav) == len(set(nav))


def test_the_site_builds_offline() -> None:
    config = _config()
    assert config["theme"]["font"] is False  # no web fonts
    plugins = {next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]}
    assert plugins <= {"search", "mkdocstrings"}  # neither `privacy` nor `social`: both fetch from the web
    assert config["strict"] is True


def _flags(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        yield from action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _flags(child)


def test_the_command_reference_has_every_flag_of_every_command() -> None:
    hooks = load_script("docs_hooks")
    page = hooks.on_page_markdown((ROOT / "docs/reference/commands.md").read_text())
    assert hooks.MARKER not in page
    for name, build in hooks._parsers():
        assert f"## `{name}`" in page
        for flag in _flags(build()):
            assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", page), (name, flag)
    for sub in ("invoke", "invoke-many", "journal", "status", "wait", "cancel", "list", "config"):
        assert f"### `fgs {sub}`" in page
    for action in ("get", "put", "delete"):
        assert f"#### `fgs config {action}`" in page


def test_every_test_a_reliability_table_names_exists() -> None:
    """The README's and the reliability page's tables name the test behind each promise: a renamed or
    removed test fails here, not silently in the docs."""
    defined: dict[str, set[str]] = {}
    for folder in ("reliability", "mock"):
        for path in (ROOT / "contract_tests" / folder).glob("test_*.py"):
            defined.setdefault(path.name, set()).update(re.findall(r"^def (test_\w+)", path.read_text(), re.M))
    for page in ("README.md", "docs/reliability.md"):
        named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", TEXT[page])
        assert len(named) >= 8, page
        for file, test in named:
            assert test in defined.get(file, set()), (page, f"{file}::{test}")
