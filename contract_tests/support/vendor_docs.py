"""Reads the vendor's reStructuredText API pages, when this checkout has them beside it.

A user's clone has no ../shared/docs, so every caller must cope with `None` and skip.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import roles

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_PAGE = "executing_a_function_asynchronously.rst"
# One page per operation of the spec: the invocation, then its lifecycle.
OPERATION_PAGES = (
    PRIMARY_PAGE,
    "querying_asynchronous_invocation_requests.rst",
    "stopping_an_asynchronous_invocation_request.rst",
    "configuring_asynchronous_execution_notification.rst",
    "querying_asynchronous_execution_notification_settings_of_a_function_version.rst",
    "deleting_asynchronous_execution_notification_settings.rst",
)
_URI = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) (/\S+)$")
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
    lists: list[list[list[str]]]  # per row: the bullet lists in its cells, each as its items' texts

    @property
    def name(self) -> str:
        """The title without its "Table N" label: a type name, for tables that describe a nested object."""
        return self.title.split(" ", 2)[-1] if self.title.startswith("Table ") else self.title

    def column(self, row: list[str], name: str) -> str:
        return row[self.header.index(name)]


@dataclass
class Page:
    tables: list[Table] = field(default_factory=list)
    code_blocks: dict[str, list[str]] = field(default_factory=dict)  # section title -> blocks
    response_examples: dict[int, str] = field(default_factory=dict)  # status -> its example block
    operation: tuple[str, str] | None = None  # (path, method) from the URI section

    def named_table(self, section: str, name: str) -> Table:
        return next(t for t in self.tables if t.section == section and t.name == name)


def _cells(row: nodes.row) -> list[str]:
    return [" ".join(entry.astext().split()) for entry in row.findall(nodes.entry)]


def _lists(row: nodes.row) -> list[list[str]]:
    return [
        [" ".join(item.astext().split()) for item in bullets.children] for bullets in row.findall(nodes.bullet_list)
    ]


def _section_title(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    return parent[0].astext() if parent is not None else ""


def _ref_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: object, options: object = None, content: object = None
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    # Sphinx's :ref:`Title <anchor>`; bare docutils lacks it, and a type cell must read "Title object".
    return [nodes.Text(text.split("<", 1)[0].strip())], []


roles.register_local_role("ref", _ref_role)  # type: ignore[arg-type]


@cache
def parse_page(path: Path) -> Page:
    # Silence reports on any other Sphinx construct that bare docutils does not know.
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
            uri = _URI.match(text) if section_title == "URI" else None
            if text.startswith("Status code:"):
                status = int(text.split(":", 1)[1])
            elif uri is not None:
                page.operation = (uri[2], uri[1].lower())
            continue
        if isinstance(node, nodes.literal_block):
            page.code_blocks.setdefault(section_title, []).append(node.astext())
            if section_title == "Example Responses" and status is not None:
                page.response_examples[status] = node.astext()
            continue
        title = node.next_node(nodes.title)
        all_rows = list(node.findall(nodes.row))
        rows = [_cells(r) for r in all_rows]
        page.tables.append(
            Table(
                title=title.astext() if title is not None else "",
                header=rows[0],
                rows=rows[1:],
                section=section_title,
                status=status if "Response body" in (title.astext() if title else "") else None,
                lists=[_lists(r) for r in all_rows[1:]],
            )
        )
    return page


def first_json(block: str) -> object:
    """The JSON document inside an example block that may start with a request line."""
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[", "null")))
    return json.loads("\n".join(lines[start:]))


def has_json(block: str) -> bool:
    return any(line.startswith(("{", "[", "null")) for line in block.splitlines())
