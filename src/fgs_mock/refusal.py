"""The one exception the mock's state raises to refuse a call; its own module so that `auth` and `models` share it."""

from __future__ import annotations


class Refusal(Exception):
    """A documented refusal: the HTTP layer maps `code` to its status through the error-code table."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail  # said after the table's message, e.g. how a short URN was read
