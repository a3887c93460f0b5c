"""The mock reads a request body as the stdlib's json reads it, whichever decoder reads it first."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fgs_mock.responses import _EVENT, _json


def _stdlib(body: bytes) -> Any:
    return _EVENT.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


def _shape(value: object) -> object:
    """The value with each number as "number": a decoder may read an integer past 64 bits as a float."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else value


def _verdict(read: Any, body: bytes) -> tuple[object, ...]:
    try:
        return ("read", _shape(read(body)))
    except RecursionError:
        return ("too deep",)
    except ValueError:
        return ("refused",)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])


@settings(max_examples=300, deadline=None, database=None)
@given(value=VALUES, ascii_only=st.booleans(), encoding=ENCODINGS)
def test_a_json_document_in_any_encoding_json_allows_reads_as_the_stdlib_reads_it(
    value: object, ascii_only: bool, encoding: str
) -> None:
    try:
        body = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate, written as itself: no encoding holds it
        assume(False)
    assert _verdict(_json, body) == _verdict(_stdlib, body)


@settings(max_examples=300, deadline=None, database=None)
@given(
    body=st.binary(max_size=48)
    | st.lists(st.sampled_from(list(b'{}[]":,0123456789.eE+- tfnrueals\\u\x00\x1f')), max_size=32).map(bytes)
)
def test_any_bytes_get_the_stdlib_verdict(body: bytes) -> None:
    assert _verdict(_json, body) == _verdict(_stdlib, body)


EDGES = {
    "NaN": b'{"a": NaN}',
    "Infinity": b"[Infinity, -Infinity]",
    "a lone surrogate, escaped": b'{"a": "\\ud800"}',
    "an integer past 64 bits": b'{"n": 123456789012345678901234567890}',
    "a float past its range": b"[1e400]",
    "a BOM": b'\xef\xbb\xbf{"a": 1}',
    "UTF-16 with its BOM": '{"a": "é"}'.encode("utf-16"),
    "nested past the interpreter's depth": b"[" * 5000 + b"]" * 5000,
    "nested past orjson's depth": b"[" * 1100 + b"]" * 1100,
    "a trailing comma": b'{"a": 1,}',
    "a raw control character": b'{"a": "\x01"}',
    "two documents": b'{"a": 1}{"b": 2}',
    "a NUL key": b'{"\\u0000": 0}',
    "invalid UTF-8": b'{"a": "\xff"}',
    "an encoded surrogate": b'{"a": "\xed\xa0\x80"}',
    "a duplicate key": b'{"a": 1, "a": [2]}',
}


@pytest.mark.parametrize("body", EDGES.values(), ids=list(EDGES))
def test_where_decoders_differ_a_body_gets_the_stdlib_verdict(body: bytes) -> None:
    assert _verdict(_json, body) == _verdict(_stdlib, body)
