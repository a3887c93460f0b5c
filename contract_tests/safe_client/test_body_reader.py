"""The capped body reader: whatever the chunks and codings, it never raises and never keeps more than
its limit; honest bodies come out whole however they are split. Run with -p no:schemathesis."""

from __future__ import annotations

import itertools
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fgs._body import BodyReader

CODINGS = st.sampled_from(["", "identity", "gzip", "x-gzip", "deflate", "GZIP", "br", "gzip, gzip", "gzip, identity"])


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _read(coding: str, chunks: list[bytes], limit: int, length: str = "") -> tuple[bytes, str | None]:
    headers = {"content-encoding": coding, "content-length": length} if coding else {"content-length": length}
    reader = BodyReader(202, headers, limit)
    for chunk in chunks:
        if not reader.feed(chunk):
            break
    answer = reader.answer()
    return answer.body, answer.problem


@settings(max_examples=300, deadline=None, database=None)
@given(CODINGS, st.lists(st.binary(max_size=200), max_size=6), st.integers(1, 300), st.text(max_size=6))
def test_arbitrary_input_never_raises_and_respects_the_limit(
    coding: str, chunks: list[bytes], limit: int, length: str
) -> None:
    body, problem = _read(coding, chunks, limit, length)
    assert len(body) <= limit
    assert problem is None or body == b""


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.binary(max_size=3000),
    st.sampled_from([("gzip", zlib.MAX_WBITS | 16), ("deflate", zlib.MAX_WBITS), ("deflate", -zlib.MAX_WBITS)]),
    st.lists(st.integers(0, 10_000), max_size=8),
    st.integers(1, 4000),
)
def test_honest_bodies_come_out_whole_or_over_the_limit(
    data: bytes, coding: tuple[str, int], cuts: list[int], limit: int
) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, coding[1])
    packed = packer.compress(data) + packer.flush()
    body, problem = _read(coding[0], _split(packed, cuts), limit)
    if len(data) <= limit:
        assert (body, problem) == (data, None)
    else:
        assert problem is not None
        assert "max_response_bytes" in problem


@pytest.mark.parametrize("length", ["1000001", "9" * 5000, "0" * 5000 + "1000001"])
def test_a_declared_length_over_the_limit_stops_before_reading(length: str) -> None:
    reader = BodyReader(202, {"content-length": length}, 1_000_000)
    assert not reader.feed(b"x")
    assert reader.answer().problem is not None


def test_a_declared_length_within_the_limit_is_read() -> None:
    reader = BodyReader(202, {"content-length": "0" * 5000 + "2"}, 10)
    assert reader.feed(b"{}")
    assert reader.answer().body == b"{}"
