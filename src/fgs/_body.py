"""Reads an answer's body incrementally, decompressing with a bounded output, and stops past a cap.

Sans-IO: a transport feeds it the raw chunks it receives and stops asking for more once feed() says so,
so memory stays near the cap whatever the peer sends (an endless chunked body, a gzip bomb).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete answer, or one that broke off reading (`problem` says why; `body` is then empty)."""

    status: int
    body: bytes
    retry_after: str | None
    problem: str | None = None


class BodyReader:
    def __init__(self, status: int, headers: Mapping[str, str], limit: int) -> None:
        self.status, self.limit = status, limit
        self.retry_after = headers.get("retry-after")
        self.problem: str | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._inflate: zlib._Decompress | None = None
        self._wbits = 0
        codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in _WBITS):
            self.problem = f"uses a Content-Encoding this client did not ask for: {ascii(codings)[:80]}"
        elif codings:
            self._wbits = _WBITS[codings[0]]
            self._inflate = zlib.decompressobj(self._wbits)
        length = headers.get("content-length", "")
        if not codings and length.isascii() and length.isdigit() and int(length) > limit:
            self._too_large()

    def feed(self, data: bytes) -> bool:
        """Take one raw chunk; False once reading should stop (the body broke a limit or cannot be decoded)."""
        if self.problem is not None:
            return False
        if self._inflate is None:
            self._keep(data)
            return self.problem is None
        try:
            while data and self.problem is None:
                # Never more output than the room left, plus one byte to notice the overflow.
                out = self._inflate.decompress(data, self.limit - self._size + 1)
                self._keep(out)
                data = self._inflate.unconsumed_tail
        except zlib.error:
            if not self._retry_as_raw_deflate(data):
                self.problem = "has a body that does not decompress"
        return self.problem is None

    def _retry_as_raw_deflate(self, data: bytes) -> bool:
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; httpx reads both.
        if self._wbits != zlib.MAX_WBITS or self._size:
            return False
        self._wbits = -zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        return self.feed(data)

    def _keep(self, data: bytes) -> None:
        if self._size + len(data) > self.limit:
            self._too_large()
            return
        self._size += len(data)
        self._parts.append(data)

    def _too_large(self) -> None:
        self.problem = f"is larger than the client's limit of {self.limit} bytes (max_response_bytes)"
        self._parts.clear()

    def answer(self) -> Answer:
        if self.problem is not None:
            return Answer(self.status, b"", self.retry_after, self.problem)
        return Answer(self.status, b"".join(self._parts), self.retry_after)
