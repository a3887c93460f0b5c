"""The mock's own behaviour: URN forms, state, refusals, faults, control routes, and no 5xx ever."""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests.mock.asgi import Answer, call
from fgs.error_codes import ERROR_CODES
from fgs_mock import (
    DEFAULT_FUNCTION_URN,
    DEFAULT_PROJECT_ID,
    DEFAULT_TOKEN,
    Backend,
    InMemoryInvocationStore,
    Invocation,
    Limits,
    MockApp,
    SqliteStore,
    create_app,
    urls,
)
from fgs_mock.models import MAX_RESOLVED, Refusal
from fgs_mock.responses import Message
from fgs_mock.server import serve_in_thread
from fgs_mock.urn import FunctionRef, MalformedUrn, parse_urn

JSON = (b"content-type", b"application/json")
TOKEN = (b"x-auth-token", DEFAULT_TOKEN.encode())


def path(urn: str = DEFAULT_FUNCTION_URN, project: str = DEFAULT_PROJECT_ID) -> str:
    return f"/v2/{quote(project, safe='')}/fgs/functions/{quote(urn, safe='')}/invocations-async"


def invoke(app: MockApp, body: bytes = b"{}", urn: str = DEFAULT_FUNCTION_URN) -> Answer:
    return call(app, "POST", path(urn), [TOKEN, JSON], body)


def error_code(answer: Answer) -> str:
    body = answer.json()
    assert isinstance(body, dict)
    assert ERROR_CODES[body["error_code"]].status == answer.status
    return str(body["error_code"])


@pytest.mark.parametrize(
    ("urn", "expected"),
    [
        ("hello", (None, "default", "hello", "latest")),
        ("pkg:hello", (None, "pkg", "hello", "latest")),
        ("p1:pkg:hello", ("p1", "pkg", "hello", "latest")),
        ("p1:pkg:hello:v2", ("p1", "pkg", "hello", "v2")),
        ("p1:pkg:hello:!blue", ("p1", "pkg", "hello", "!blue")),
        ("urn:fss:eu-de:p1:function:pkg:hello", ("p1", "pkg", "hello", "latest")),
        ("urn:fss:eu-de:p1:function:pkg:hello:1.2", ("p1", "pkg", "hello", "1.2")),
    ],
)
def test_every_documented_urn_form_parses(urn: str, expected: tuple[object, ...]) -> None:
    assert tuple(parse_urn(urn)) == expected


@pytest.mark.parametrize(
    ("urn", "full"),
    [
        ("p1:pkg:hello", "urn:fss:ap-1:p1:function:pkg:hello:latest"),
        ("p1:pkg:hello:!blue", "urn:fss:ap-1:p1:function:pkg:hello:!blue"),
        ("urn:fss:eu-de:p1:function:pkg:hello:1.2", "urn:fss:ap-1:p1:function:pkg:hello:1.2"),
    ],
)
def test_a_full_urn_is_built_in_the_region_given_and_reads_back_the_same(urn: str, full: str) -> None:
    ref = parse_urn(urn)
    assert ref.full_urn("ap-1") == full
    assert parse_urn(full) == ref
    assert FunctionRef.of_short_urn(ref.short_urn) == ref  # what the store keeps names the same function


def test_a_short_urn_without_a_project_has_no_full_form() -> None:
    with pytest.raises(ValueError, match="project"):
        parse_urn("pkg:hello").full_urn("eu-de")


@pytest.mark.parametrize(
    "urn",
    [
        "",
        "a:b:c:d:e",
        "a:b:c:d:e:f",
        "urn:xx:eu-de:p:function:pkg:hello",
        "urn:fss:eu-de:p:func:pkg:h",
        "a::b",
        "he llo",
    ],
)
def test_malformed_urns_are_rejected(urn: str) -> None:
    with pytest.raises(MalformedUrn):
        parse_urn(urn)


def test_resolution_explains_each_refusal() -> None:
    p = DEFAULT_PROJECT_ID
    backend = Backend.with_defaults()
    backend.register_function(f"{p}:pkg:other:v1")
    assert backend.resolve(p, "hello").name == "hello"
    assert backend.resolve(p, f"{p}:pkg:other:v1").qualifier == "v1"
    assert backend.resolve(p, "pkg:other").qualifier == "latest"
    for urn, code in [
        ("a:b:c:d:e", "FSS.1309"),
        ("ffff:default:hello", "FSS.0403"),
        ("nothere", "FSS.1051"),
        (f"{p}:pkg:other:v9", "FSS.1052"),
        (f"{p}:pkg:other:!blue", "FSS.1053"),
    ]:
        with pytest.raises(Refusal) as caught:
            backend.resolve(p, urn)
        assert caught.value.code == code, urn


def test_accepted_calls_are_recorded_with_their_body() -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    answers = [invoke(app, b'{"n": %d}' % i) for i in range(5)]
    assert [a.status for a in answers] == [202] * 5
    ids = [json.loads(a.body)["request_id"] for a in answers]
    assert len(set(ids)) == 5
    assert len(backend.invocations) == 5
    stored = backend.invocations.get(ids[3])
    assert stored is not None
    assert stored.body == b'{"n": 3}'
    assert stored.project_id == DEFAULT_PROJECT_ID


def test_state_lives_behind_a_replaceable_store() -> None:
    class ListStore(SqliteStore):
        def __init__(self) -> None:
            super().__init__()
            self.items: list[Invocation] = []

        def add_many(self, invocations: Sequence[Invocation]) -> None:
            self.items += invocations
            super().add_many(invocations)

    store = ListStore()
    app = create_app(Backend.with_defaults(store=store))
    assert invoke(app).status == 202
    assert len(store.items) == 1
    listed = call(app, "GET", "/_mock/invocations", []).json()
    assert isinstance(listed, dict)
    assert [i["body"] for i in listed["invocations"]] == [{}]


@pytest.mark.parametrize(
    ("headers", "project", "urn", "body", "status", "code"),
    [
        ([JSON], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"{}", 401, "FSS.0401"),
        ([JSON, (b"x-auth-token", b"wrong")], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"{}", 401, "FSS.0401"),
        ([TOKEN, JSON], "f" * 32, DEFAULT_FUNCTION_URN, b"{}", 403, "FSS.0403"),
        ([TOKEN, JSON], DEFAULT_PROJECT_ID, "a:b:c:d:e", b"{}", 400, "FSS.1309"),
        ([TOKEN, JSON], DEFAULT_PROJECT_ID, "nothere", b"{}", 404, "FSS.1051"),
        ([TOKEN, JSON], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"", 400, "FSS.0400"),
        ([TOKEN, JSON], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"[1]", 400, "FSS.0400"),
        ([TOKEN, JSON], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"{", 400, "FSS.0400"),
        ([TOKEN], DEFAULT_PROJECT_ID, DEFAULT_FUNCTION_URN, b"{}", 400, "FSS.0400"),
    ],
    ids=[
        "no-token",
        "wrong-token",
        "other-project",
        "bad-urn",
        "no-function",
        "no-body",
        "array",
        "bad-json",
        "no-ctype",
    ],
)
def test_refusals_use_the_documented_codes(
    headers: list[tuple[bytes, bytes]], project: str, urn: str, body: bytes, status: int, code: str
) -> None:
    answer = call(create_app(), "POST", path(urn, project), headers, body)
    assert answer.status == status
    assert error_code(answer) == code
    assert answer.headers[b"content-type"] == b"application/json"


def test_oversized_body_is_refused_not_buffered() -> None:
    app = MockApp(Backend.with_defaults(), max_body=1024)
    assert invoke(app, b'{"k": "' + b"x" * 2000 + b'"}').status == 400
    assert invoke(app, b'{"k": "' + b"x" * 100 + b'"}').status == 202


def test_undeclared_methods_get_405_with_allow() -> None:
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        answer = call(create_app(), method, path(), [TOKEN, JSON])
        assert answer.status == 405
        assert answer.headers[b"allow"] == b"POST"
        assert (answer.body == b"") == (method == "HEAD")


def test_faults_fail_the_next_calls_then_stop() -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    backend.faults.set(status=503, next_count=2)
    statuses = [invoke(app).status for _ in range(3)]
    assert statuses == [503, 503, 202]
    assert len(backend.invocations) == 1


def test_faults_fail_a_share_of_calls() -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    backend.faults.set(status=500, share=0.5, seed=7)
    answers = [invoke(app) for _ in range(200)]
    failed = [a for a in answers if a.status == 500]
    assert 60 < len(failed) < 140
    assert {error_code(a) for a in failed} == {"FSS.0500"}
    assert len(backend.invocations) == 200 - len(failed)


def test_faults_accept_only_documented_server_errors() -> None:
    with pytest.raises(ValueError, match="429, 500 or 503"):
        Backend().faults.set(status=502)
    with pytest.raises(ValueError, match="share"):
        Backend().faults.set(status=503, share=1.5)


def test_control_routes_drive_faults_and_registration() -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    assert call(app, "POST", "/_mock/faults", [JSON], b'{"status": 503, "next": 1}').status == 204
    assert invoke(app).status == 503
    assert invoke(app).status == 202
    assert call(app, "POST", "/_mock/faults", [JSON], b'{"status": 500, "share": 1.0}').status == 204
    assert invoke(app).status == 500
    assert call(app, "DELETE", "/_mock/faults", []).status == 204
    assert invoke(app).status == 202
    assert invoke(app, urn="world").status == 404
    created = call(
        app, "POST", "/_mock/functions", [JSON], b'{"urn": "world", "project_id": "%s"}' % DEFAULT_PROJECT_ID.encode()
    )
    assert created.status == 201
    assert invoke(app, urn="world").status == 202
    listed = call(app, "GET", "/_mock/invocations", []).json()
    assert isinstance(listed, dict)
    assert listed["accepted"] == 3
    assert call(app, "POST", "/_mock/faults", [JSON], b'{"status": 418}').status == 400
    assert call(app, "POST", "/_mock/faults", [JSON], b"[]").status == 400


METHODS = st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
SEGMENT = st.one_of(
    st.just(quote(DEFAULT_FUNCTION_URN, safe="")),
    st.just(DEFAULT_PROJECT_ID),
    st.text(min_size=0, max_size=40).map(lambda s: quote(s, safe="")),
    st.sampled_from(["%ff", "%", "..", ".", "%2F", "a%00b"]),
)
HEADER_VALUE = st.one_of(st.just(DEFAULT_TOKEN.encode()), st.binary(max_size=40).filter(lambda b: b"\r" not in b))
BODY = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    method=METHODS,
    project=SEGMENT,
    urn=SEGMENT,
    token=st.none() | HEADER_VALUE,
    content_type=st.none() | st.sampled_from([b"application/json", b"text/plain", b"APPLICATION/JSON; charset=x", b""]),
    body=BODY,
)
def test_no_request_makes_the_mock_answer_5xx_or_off_contract(
    method: str, project: str, urn: str, token: bytes | None, content_type: bytes | None, body: bytes
) -> None:
    headers = [(b"x-auth-token", token)] if token is not None else []
    if content_type is not None:
        headers.append((b"content-type", content_type))
    answer = call(create_app(), method, f"/v2/{project}/fgs/functions/{urn}/invocations-async", headers, body)
    assert answer.status in {202, 400, 401, 403, 404, 405}
    if method == "HEAD":
        return
    parsed = answer.json()
    assert isinstance(parsed, dict)
    if answer.status == 202:
        assert isinstance(parsed["request_id"], str)
    else:
        assert isinstance(parsed["error_code"], str)
        assert isinstance(parsed["error_msg"], str)


def test_stored_rows_cost_the_garbage_collector_nothing() -> None:
    # Tracked rows made full collections walk every accepted call: p99 rose 15-fold under load.
    store = InMemoryInvocationStore()
    app = create_app(Backend.with_defaults(store=store))
    ours: set[str] = set()
    for _ in range(500):
        answer = invoke(app)
        assert answer.status == 202
        body = answer.json()
        assert isinstance(body, dict)
        ours.add(body["request_id"])
    gc.collect()
    # SQLite keeps the rows outside Python's heap: no object per call is left for the collector to walk.
    # (Only this test's calls: other threads of this process, other tests' servers, may hold their own.)
    assert not any(isinstance(o, Invocation) and o.request_id in ours for o in gc.get_objects())
    assert len(store) == 500
    assert all(isinstance(i, Invocation) for i in store)


@pytest.mark.parametrize(
    "bad",
    [{"head_timeout": 0}, {"body_timeout": -1}, {"max_header_bytes": 0}, {"max_headers": 0}, {"max_connections": 0}],
)
def test_connection_limits_must_be_positive(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"positive|at least 1"):
        Limits(**bad)


def test_a_path_decoded_once_is_remembered_within_a_bound() -> None:
    path = f"/v2/{DEFAULT_PROJECT_ID}/fgs/functions/{quote(DEFAULT_FUNCTION_URN, safe='')}/invocations-async".encode()
    first = urls.match(path)
    first.params["function_urn"] = "changed by a caller"
    again = urls.match(path)
    assert again == urls.Match("invoke", {"project_id": DEFAULT_PROJECT_ID, "function_urn": DEFAULT_FUNCTION_URN})
    for n in range(urls.MAX_REMEMBERED + 10):
        assert urls.match(b"/v2/p/fgs/functions/f%d/cancel" % n).params["function_urn"] == f"f{n}"
    assert len(urls._remembered) <= urls.MAX_REMEMBERED


def test_a_urn_resolved_once_is_remembered_within_a_bound() -> None:
    backend = Backend.with_defaults()
    p = DEFAULT_PROJECT_ID
    assert backend.resolve(p, "hello") is backend.resolve(p, "hello")
    with pytest.raises(Refusal):  # refusals are not remembered: the function may be registered later
        backend.resolve(p, "later")
    backend.register_function("later", project_id=p)
    assert backend.resolve(p, "later").name == "later"
    for n in range(MAX_RESOLVED + 10):  # as many spellings of one function, each region a new one
        assert backend.resolve(p, f"urn:fss:r{n}:{p}:function:default:hello:latest").name == "hello"
    assert len(backend._resolved) <= MAX_RESOLVED


class _BatchStore(SqliteStore):
    """Records each batch it is given; refuses the batches numbered in `refuse`."""

    def __init__(self, refuse: set[int]) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.refuse = refuse

    def add_many(self, invocations: Sequence[Invocation]) -> None:
        self.batches.append(len(invocations))
        if len(self.batches) in self.refuse:
            raise sqlite3.OperationalError("database or disk is full")
        super().add_many(invocations)


async def _invoke_together(app: MockApp, count: int, cancel: int | None = None, after: int = 0) -> list[int]:
    """`count` calls started in one turn of the event loop, and `after` more in the next; each one's status,
    0 for a cancelled call."""
    statuses = [0] * (count + after)

    async def one(n: int) -> None:
        sent: list[int] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent.append(message["status"])

        raw = path(DEFAULT_FUNCTION_URN).encode()
        scope = {"type": "http", "method": "POST", "path": raw.decode(), "raw_path": raw, "headers": [TOKEN, JSON]}
        await app(scope, receive, send)
        statuses[n] = sent[0]

    tasks = [asyncio.create_task(one(n)) for n in range(count)]
    if cancel is not None or after:
        await asyncio.sleep(0)  # every call has staged and waits for the commit
    if cancel is not None:
        tasks[cancel].cancel()
    tasks += [asyncio.create_task(one(n)) for n in range(count, count + after)]
    await asyncio.gather(*tasks, return_exceptions=True)
    return statuses


def test_the_calls_of_one_turn_share_one_commit_and_a_refused_commit_answers_each_503() -> None:
    store = _BatchStore(refuse={2})
    app = create_app(Backend.with_defaults(store=store))
    assert asyncio.run(_invoke_together(app, 5)) == [202] * 5
    assert asyncio.run(_invoke_together(app, 3)) == [503] * 3  # not stored, so not accepted
    assert asyncio.run(_invoke_together(app, 2)) == [202] * 2
    assert store.batches == [5, 3, 2]
    assert store.counters().accepted == 7
    assert app.control.answered == {202: 7, 503: 3}


def test_a_group_asks_for_the_running_loop_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each ask is a getpid() system call: the calls that join a group take its loop from its first call.
    asked: list[object] = []
    real = asyncio.get_running_loop

    def running_loop() -> asyncio.AbstractEventLoop:
        asked.append(None)
        return real()

    store = _BatchStore(refuse=set())
    app = create_app(Backend.with_defaults(store=store))
    monkeypatch.setattr(asyncio, "get_running_loop", running_loop)  # as commits.py reads it
    assert asyncio.run(_invoke_together(app, 5)) == [202] * 5
    assert (store.batches, len(asked)) == ([5], 1)


def test_the_calls_of_the_next_turn_join_the_commit_and_later_ones_make_their_own() -> None:
    # Committed at the end of the first turn, the groups at 10 connections were of 4-5 calls; waiting
    # one more turn let in the requests read meanwhile: groups of 10, a fifth less CPU per call on a file.
    store = _BatchStore(refuse=set())
    app = create_app(Backend.with_defaults(store=store))
    assert asyncio.run(_invoke_together(app, 3, after=2)) == [202] * 5
    assert store.batches == [5]

    async def turns_to_commit() -> int:
        calls = asyncio.create_task(_invoke_together(app, 2))
        turns = 0
        while len(store.batches) == 1:  # a timer would leave it for thousands of turns
            assert turns < 10
            await asyncio.sleep(0)
            turns += 1
        assert await calls == [202] * 2
        return turns

    assert asyncio.run(turns_to_commit()) <= 4  # a turn for the task that starts the calls, theirs, the next
    assert store.batches == [5, 2]


def test_a_cancelled_call_cancels_no_other_call_of_its_turn() -> None:
    store = _BatchStore(refuse=set())
    app = create_app(Backend.with_defaults(store=store))
    assert asyncio.run(_invoke_together(app, 4, cancel=1)) == [202, 0, 202, 202]
    assert store.batches == [4]  # staged before it was cancelled: stored, though it got no answer


def test_every_answer_carries_the_date_of_the_mocks_clock_at_that_answer() -> None:
    now = [1_800_000_000.4]
    app = create_app(Backend.with_defaults(clock=lambda: now[0]))
    first = invoke(app)
    now[0] += 3.0  # a second that uvicorn's own Date, refreshed by its main loop, could lag behind
    refused = invoke(app, b"[]")
    assert (first.status, refused.status) == (202, 400)
    assert first.headers[b"date"] == b"Fri, 15 Jan 2027 08:00:00 GMT"
    assert refused.headers[b"date"] == b"Fri, 15 Jan 2027 08:00:03 GMT"


def test_a_served_answer_has_one_date_header_and_it_is_current() -> None:
    with serve_in_thread(create_app()) as base:
        answer = httpx.post(f"{base}{path(DEFAULT_FUNCTION_URN)}", headers=dict([TOKEN, JSON]), content=b"{}")
    assert answer.status_code == 202
    dates = answer.headers.get_list("date")
    assert len(dates) == 1
    assert abs(parsedate_to_datetime(dates[0]).timestamp() - time.time()) < 5
