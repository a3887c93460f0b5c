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
    """Blanks each of `secrets`. Compiled on first use: only error paths need it, and a token can be kilobytes long."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = secrets
        # Longest first, so that a secret holding another is blanked whole.
        self._ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._text: re.Pattern[str] | None = None
        self._bytes: re.Pattern[bytes] | None = None

    def _pattern(self) -> str:
        return "|".join("".join(map(_spellings, secret)) for secret in self._ordered)

    def text(self, value: str) -> str:
        if not self._ordered:
            return value
        if self._text is None:
            self._text = re.compile(self._pattern())
        return self._text.sub(REDACTED, value)

    def bytes(self, value: bytes) -> bytes:
        if not self._ordered:
            return value
        if self._bytes is None:
            # A password may hold any character: its raw spelling is matched as UTF-8.
            self._bytes = re.compile(self._pattern().encode("utf-8"))
        return self._bytes.sub(REDACTED.encode(), value)
