"""Blanks a secret wherever an error exposes text, in the forms a server may echo it back in.

Raw, JSON-escaped (`\\/`, `\\"`, `\\uXXXX`) and percent-encoded, in any mix: each character of the
secret may appear in any spelling an encoder gives it. Letters, digits and `-._~` are never escaped by
JSON or URL encoders, so they are matched as they are; that keeps the pattern of a kilobyte token small.
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"


def _spellings(char: str) -> str:
    if char.isalnum() or char in "-._~":
        return char
    code = ord(char)
    forms = [re.escape(char), rf"(?i:\\u{code:04x})", rf"(?i:%{code:02x})"]
    if char in '/"\\':
        forms.append(re.escape("\\" + char))
    return "(?:" + "|".join(forms) + ")"


class Redactor:
    """Compiled on first use: only error paths need it, and a token can be kilobytes long."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._text: re.Pattern[str] | None = None
        self._bytes: re.Pattern[bytes] | None = None

    def text(self, value: str) -> str:
        if self._text is None:
            self._text = re.compile("".join(map(_spellings, self.secret)))
        return self._text.sub(REDACTED, value)

    def bytes(self, value: bytes) -> bytes:
        if self._bytes is None:
            # The secret is visible ASCII (checked on the way in), so its pattern is ASCII too.
            self._bytes = re.compile("".join(map(_spellings, self.secret)).encode("ascii"))
        return self._bytes.sub(REDACTED.encode(), value)
