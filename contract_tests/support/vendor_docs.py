"""Reads the vendor's reStructuredText API pages, when this checkout has them beside it.

A user's clone has no ../shared/docs, so every caller must cope with `None` and skip.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from docutils import nodes
from docutils.core import publish_doctree

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_PAGE = "executing_a_function_asynchronously.rst"
SKIP_REASON = (
    "vendor docs not found (set FGS_DOCS_DIR, or place them at ../shared/docs); a user's clone does not carry them"
)


def docs_dir() -> Path | None:
    candidate = Path(os.environ.get("FGS_DOCS_DIR", ROOT.parent / "shared" / "docs"))
    return candidate if (candidate / PRIMARY_PAGE).is_file() else None


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    section: str
    status: int | None  # the "Status code: NNN" paragraph the table sits under, if any

    def column(self, row: list[str], name: str) -> str:
        return row[self.header.index(name)]


@dataclass
class Page:
    tables: list[Table] = field(default_factory=list)
    code_blocks: dict[str, list[str]] = field(default_factory=dict)  # section title -> blocks


def _cells(row: nodes.row) -> list[str]:
    return [" ".join(entry.astext().split()) for entry in row.findall(nodes.entry)]


def _section_title(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    return parent[0].astext() if parent is not None else ""


@cache
def parse_page(path: Path) -> Page:
    # The pages use Sphinx roles (:ref:) that bare docutils does not know; silence those reports.
    tree = publish_doctree(
        path.read_text(encoding="utf-8"),
        settings_overrides={"report_level": 5, "halt_level": 5, "warning_stream": False},
    )
    page = Page()
    status: int | None = None
    for node in tree.findall(lambda n: isinstance(n, nodes.paragraph | nodes.table | nodes.literal_block)):
        section_title = _section_title(node)
        if isinstance(node, nodes.paragraph):
            text = node.astext().strip()
            if text.startswith("Status code:"):
                status = int(text.split(":", 1)[1])
            continue
        if isinstance(node, nodes.literal_block):
            page.code_blocks.setdefault(section_title, []).append(node.astext())
            continue
        title = node.next_node(nodes.title)
        rows = [_cells(r) for r in node.findall(nodes.row)]
        page.tables.append(
            Table(
                title=title.astext() if title is not None else "",
                header=rows[0],
                rows=rows[1:],
                section=section_title,
                status=status if "Response body" in (title.astext() if title else "") else None,
            )
        )
    return page


def first_json(block: str) -> object:
    """The JSON document inside an example block that may start with a request line."""
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))
