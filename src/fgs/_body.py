"""Reads an answer's body incrementally, decompressing with a bounded output, and stops past a cap.

Sans-IO: a transport feeds it the raw chunks it receives and stops asking for more once feed() says so,
so memory stays near the cap whatever the peer sends (an endless chunked body, a gzip bomb).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    # The transport's own (case-insensitive) headers, for the few readers that need more (an IAM login).
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


class BodyReader:
    def __init__(self, status: int, headers: Mapping[str, str], limit: int) -> None:
        self.status, self.limit, self.headers = status, limit, headers
        self.retry_after = headers.get("retry-after")
        self.problem: str | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._inflate: zlib._Decompress | None = None
        # The input so far while "deflate" may still turn out to be raw deflate rather than zlib.
        self._probe: bytes | None = None
        codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in _WBITS):
            self.problem = f"uses a Content-Encoding this client did not ask for: {ascii(codings)[:80]}"
        elif codings:
            self._inflate = zlib.decompressobj(_WBITS[codings[0]])
            self._probe = b"" if codings[0] == "deflate" else None
        length = headers.get("content-length", "")
        if not codings and length.isascii() and length.isdigit():
            digits = length.lstrip("0")  # int() refuses strings past 4300 digits; any such length is too large
            if len(digits) > 18 or int(digits or "0") > limit:
                self._too_large()

    def feed(self, data: bytes) -> bool:
        """Take one raw chunk; False once reading should stop (the body broke a limit or cannot be decoded)."""
        if self.problem is not None:
            return False
        if self._inflate is None:
            self._keep(data)
            return self.problem is None
        if self._probe is not None:
            self._probe += data
        try:
            self._inflate_into(self._inflate, data)
        except zlib.error:
            self._undecodable()
        else:
            if self._probe is not None and len(self._probe) >= 2:
                self._probe = None  # the zlib header was read: it is zlib-wrapped deflate
        return self.problem is None

    def _inflate_into(self, inflate: zlib._Decompress, data: bytes) -> None:
        while data and self.problem is None:
            # Never more output than the room left, plus one byte to notice the overflow.
            self._keep(inflate.decompress(data, self.limit - self._size + 1))
            data = inflate.unconsumed_tail

    def _undecodable(self) -> None:
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; httpx reads both.
        probe, self._probe = self._probe, None
        if probe is None:
            self.problem = "has a body that does not decompress"
            return
        self._parts.clear()
        self._size = 0
        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        self.feed(probe)

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
            return Answer(self.status, b"", self.retry_after, self.problem, self.headers)
        return Answer(self.status, b"".join(self._parts), self.retry_after, headers=self.headers)
