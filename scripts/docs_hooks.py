"""MkDocs hooks: the command reference is written from the commands' own parsers at build time, so every
flag any command gains appears on the site without anyone copying `--help` by hand."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from typing import Any

MARKER = "<!-- commands -->"
WIDTH = "100"  # argparse wraps to $COLUMNS: one width, so the page is the same on every machine


def _parsers() -> list[tuple[str, Callable[[], argparse.ArgumentParser]]]:
    from fgs.cli import _parser as fgs_parser
    from fgs_conformance.cli import _parser as conformance_parser
    from fgs_mock.__main__ import parser as mock_parser

    return [("fgs", fgs_parser), ("fgs-mock", mock_parser), ("fgs-conformance", conformance_parser)]


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _block(title: str, level: str, parser: argparse.ArgumentParser) -> str:
    return f"{level} `{title}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"


def render() -> str:
    """The reference: each command's help, then each of its subcommands' help."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        sections = []
        for name, build in _parsers():
            parser = build()
            sections.append(_block(name, "##", parser))
            for sub, child in _subcommands(parser):
                sections.append(_block(f"{name} {sub}", "###", child))
                sections += [_block(f"{name} {sub} {leaf}", "####", grand) for leaf, grand in _subcommands(child)]
        return "\n".join(sections)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def on_page_markdown(markdown: str, **_: Any) -> str:
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
