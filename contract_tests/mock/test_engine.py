"""The engine on a hand-moved clock: every status, retries, discard, cancel, concurrency, destinations."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import fgs
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, SqliteStore, create_app
from fgs_mock import engine as engine_module
from fgs_mock.behaviour import TIMEOUT_CODE, Behaviour, split_function_option
from fgs_mock.engine import CANCELED_CODE, IDLE_TICK, LOOP_SLICE, Engine
from fgs_mock.server import serve_in_thread
from fgs_mock.store import DISCARD_BATCH, Run, StoreUnavailable

P = DEFAULT_PROJECT_ID


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteStore:
    return SqliteStore() if request.param == "memory" else SqliteStore(path=tmp_path / "mock.db")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _backend(store: SqliteStore, clock: Clock, speed: float = 1.0, **functions: Behaviour) -> Backend:
    backend = Backend.with_defaults(store=store, speed=speed)
    backend.engine.clock = clock
    for name, behaviour in functions.items():
        backend.register_function(f"{P}:default:{name}:latest", behaviour=behaviour)
    return backend


def _invoke(backend: Backend, name: str, count: int = 1) -> list[str]:
    function = backend.resolve(P, name)
    return [backend.accept(function, b"{}").request_id for _ in range(count)]


def _run(backend: Backend, request_id: str) -> Run:
    run = backend.invocations.run(request_id)
    assert run is not None
    return run


def _status(backend: Backend, ids: list[str]) -> list[str]:
    return [_run(backend, i).status for i in ids]


def test_a_succeeding_function_goes_wait_running_success(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, ok=Behaviour(duration=2))
    [rid] = _invoke(backend, "ok")
    assert _status(backend, [rid]) == ["WAIT"]
    backend.engine.step()
    assert _status(backend, [rid]) == ["RUNNING"]
    clock.now += 1.9
    backend.engine.step()
    assert _status(backend, [rid]) == ["RUNNING"]
    clock.now += 0.2
    backend.engine.step()
    run = _run(backend, rid)
    assert (run.status, run.error_code, run.error_message, run.attempts) == ("SUCCESS", 0, "", 1)
    assert run.start_time is not None
    assert run.end_time is not None
    assert run.end_time >= run.start_time


@pytest.mark.parametrize(("retries", "runs"), [(0, 1), (1, 2), (3, 4)])
def test_a_failing_function_is_retried_as_configured_then_fails(
    store: SqliteStore, clock: Clock, retries: int, runs: int
) -> None:
    backend = _backend(store, clock, bad=Behaviour("fail", duration=1, code=4001))
    store.put_config(f"{P}:default:bad:latest", json.dumps({"max_async_retry_attempts": retries}), clock.now)
    [rid] = _invoke(backend, "bad")
    backend.engine.step()
    for attempt in range(2, runs + 1):  # a failed attempt queues again and restarts in the same pass
        clock.now += 1
        backend.engine.step()
        assert (_run(backend, rid).status, _run(backend, rid).attempts) == ("RUNNING", attempt)
    clock.now += 1
    backend.engine.step()
    run = _run(backend, rid)
    assert (run.status, run.error_code, run.attempts) == ("FAIL", 4001, runs)
    backend.engine.step()
    assert _run(backend, rid) == run  # terminal: nothing changes it


def test_a_run_that_takes_no_time_ends_in_the_pass_that_starts_it(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, now=Behaviour(duration=0, concurrency=2))
    ids = _invoke(backend, "now", 3)
    assert backend.engine.step() == 2  # two end, within the concurrency; the third waits its turn
    assert _status(backend, ids) == ["SUCCESS", "SUCCESS", "WAIT"]
    run = _run(backend, ids[0])
    assert (run.error_code, run.error_message, run.attempts) == (0, "", 1)
    assert run.start_time == run.end_time == clock.now
    clock.now += 0.5
    backend.engine.step()
    assert _status(backend, ids) == ["SUCCESS"] * 3
    assert store.status_counts() == {"SUCCESS": 3}


@pytest.mark.parametrize(("retries", "runs"), [(0, 1), (2, 3)])
def test_a_failing_run_that_takes_no_time_is_retried_pass_by_pass_then_fails(
    store: SqliteStore, clock: Clock, retries: int, runs: int
) -> None:
    backend = _backend(store, clock, bad=Behaviour("fail", duration=0, code=4001))
    store.put_config(f"{P}:default:bad:latest", json.dumps({"max_async_retry_attempts": retries}), clock.now)
    [rid] = _invoke(backend, "bad")
    for attempt in range(1, runs):
        backend.engine.step()
        waiting = _run(backend, rid)
        assert (waiting.status, waiting.attempts, waiting.end_time, waiting.error_code) == ("WAIT", attempt, None, None)
        assert store.status_counts() == {"WAIT": 1}
        clock.now += 1
    backend.engine.step()
    run = _run(backend, rid)
    assert (run.status, run.error_code, run.error_message, run.attempts) == (
        "FAIL",
        4001,
        "function invocation failed",
        runs,
    )
    assert run.end_time == clock.now
    assert store.status_counts() == {"FAIL": 1}


def test_runs_that_take_no_time_count_those_still_running_against_the_concurrency(
    store: SqliteStore, clock: Clock
) -> None:
    backend = _backend(store, clock, fn=Behaviour(duration=5, concurrency=2))
    slow = _invoke(backend, "fn", 2)
    backend.engine.step()  # both run for 5 s
    backend.register_function(f"{P}:default:fn:latest", behaviour=Behaviour(duration=0, concurrency=3))
    quick = _invoke(backend, "fn", 2)
    backend.engine.step()
    assert _status(backend, slow + quick) == ["RUNNING", "RUNNING", "SUCCESS", "WAIT"]  # one slot was free


def test_a_run_past_its_timeout_fails_with_the_timeout_code(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, slow=Behaviour("timeout", timeout=3))
    store.put_config(f"{P}:default:slow:latest", json.dumps({"max_async_retry_attempts": 0}), clock.now)
    [rid] = _invoke(backend, "slow")
    backend.engine.step()
    clock.now += 3
    backend.engine.step()
    assert (_run(backend, rid).status, _run(backend, rid).error_code) == ("FAIL", TIMEOUT_CODE)


def test_the_concurrency_limit_keeps_the_rest_waiting(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, two=Behaviour(duration=1, concurrency=2))
    ids = _invoke(backend, "two", 5)
    backend.engine.step()
    assert _status(backend, ids) == ["RUNNING"] * 2 + ["WAIT"] * 3
    clock.now += 1
    backend.engine.step()  # the first two end, the next two start in the same pass
    assert _status(backend, ids) == ["SUCCESS"] * 2 + ["RUNNING"] * 2 + ["WAIT"]


def test_an_event_older_than_its_max_age_is_discarded(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, one=Behaviour(duration=100, concurrency=1))
    store.put_config(f"{P}:default:one:latest", json.dumps({"max_async_event_age_in_seconds": 10}), clock.now)
    first, second = _invoke(backend, "one", 2)
    backend.engine.step()
    clock.now += 10.5
    backend.engine.step()
    assert _status(backend, [first, second]) == ["RUNNING", "DISCARD"]  # only waiting events age out


def test_aged_events_past_one_discard_batch_are_all_discarded_and_none_started(
    store: SqliteStore, clock: Clock
) -> None:
    backend = _backend(store, clock, many=Behaviour(duration=100, concurrency=1000))
    store.put_config(f"{P}:default:many:latest", json.dumps({"max_async_event_age_in_seconds": 10}), clock.now)
    ids = _invoke(backend, "many", DISCARD_BATCH + 500)
    clock.now += 11
    backend.engine.step()
    backend.engine.step()
    assert store.status_counts() == {"DISCARD": DISCARD_BATCH + 500}
    assert _status(backend, ids[-1:]) == ["DISCARD"]


def test_speed_divides_durations_and_ages(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, speed=10, ok=Behaviour(duration=1))
    [rid] = _invoke(backend, "ok")
    backend.engine.step()
    clock.now += 0.1
    backend.engine.step()
    assert _status(backend, [rid]) == ["SUCCESS"]


def test_cancel_ends_waiting_and_running_runs_as_the_stop_page_says(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, f=Behaviour(duration=5, concurrency=2))
    fn = f"{P}:default:f:latest"
    a, b, c = _invoke(backend, "f", 3)
    backend.engine.step()
    assert backend.engine.cancel(fn, c)  # waiting: only it ends
    assert _status(backend, [a, b, c]) == ["RUNNING", "RUNNING", "FAIL"]
    assert backend.engine.cancel(fn, a)  # running: the function's other running requests end too
    assert _status(backend, [a, b]) == ["FAIL", "FAIL"]
    ended = _run(backend, a)
    assert (ended.error_code, ended.error_message) == (CANCELED_CODE, "function invocation canceled")
    assert backend.engine.cancel(fn, a)  # already ended: accepted, and nothing changes
    assert _run(backend, a) == ended
    assert not backend.engine.cancel(fn, "no-such-id")
    assert not backend.engine.cancel(f"{P}:default:hello:latest", b)  # another function's run


def test_destinations_are_recorded_and_a_function_graph_one_invokes_that_function(
    store: SqliteStore, clock: Clock
) -> None:
    backend = _backend(store, clock, ok=Behaviour(duration=0), bad=Behaviour("fail", duration=0, code=7))
    sink = f"urn:fss:eu-de:{P}:function:default:hello:latest"
    destinations = {
        "on_success": {"destination": "OBS", "param": '{"bucket": "b"}'},
        "on_failure": {"destination": "FunctionGraph", "param": json.dumps({"func_urn": sink})},
    }
    for name in ("ok", "bad"):
        config = {"destination_config": destinations, "max_async_retry_attempts": 0}
        store.put_config(f"{P}:default:{name}:latest", json.dumps(config), clock.now)
    [good] = _invoke(backend, "ok")
    [failed] = _invoke(backend, "bad")
    backend.engine.step()
    backend.engine.step()
    sent = {n.request_id: n for n in store.notifications()}
    assert (sent[good].status, sent[good].destination, sent[good].delivered_as) == ("SUCCESS", "OBS", None)
    assert (sent[failed].status, sent[failed].destination) == ("FAIL", "FunctionGraph")
    made = sent[failed].delivered_as
    assert made is not None
    delivered = store.get(made)
    assert delivered is not None
    assert delivered.function.name == "hello"
    record = json.loads(delivered.body)
    assert record == {
        "request_id": failed,
        "function": f"{P}:default:bad:latest",
        "function_urn": f"urn:fss:eu-de:{P}:function:default:bad:latest",
        "status": "FAIL",
        "timestamp": record["timestamp"],
        "attempts": 1,
        "error_code": 7,
        "error_message": "function invocation failed",
        "request_payload": {},
        "response_payload": None,
        "error": None,
    }
    assert sent[failed].record == delivered.body.decode()


def test_two_engines_on_one_file_never_run_an_invocation_twice(tmp_path: Path, clock: Clock) -> None:
    stores = [SqliteStore(path=tmp_path / "shared.db") for _ in range(2)]
    backends = [_backend(s, clock, ok=Behaviour(duration=0, concurrency=1000)) for s in stores]
    ids = _invoke(backends[0], "ok", 300)
    for _ in range(6):
        for backend in backends:
            backend.engine.step()
    runs = [_run(backends[1], i) for i in ids]
    assert {(r.status, r.attempts) for r in runs} == {("SUCCESS", 1)}


def test_a_restart_puts_interrupted_runs_back_in_the_queue(tmp_path: Path, clock: Clock) -> None:
    backend = _backend(SqliteStore(path=tmp_path / "m.db"), clock, ok=Behaviour(duration=9))
    [rid] = _invoke(backend, "ok")
    backend.engine.step()
    reopened = SqliteStore(path=tmp_path / "m.db")
    assert reopened.recover() == 1
    # The cut-short run is not an attempt.
    assert (_run(backend, rid).status, _run(backend, rid).attempts) == ("WAIT", 0)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("hello", ("hello", Behaviour())),
        ("a:b=fail,code=42,duration=0.5", ("a:b", Behaviour("fail", duration=0.5, code=42))),
        ("x=timeout,timeout=2,concurrency=3", ("x", Behaviour("timeout", timeout=2, concurrency=3))),
    ],
)
def test_the_function_option_reads_every_behaviour(option: str, expected: tuple[str, Behaviour]) -> None:
    assert split_function_option(option) == expected


@pytest.mark.parametrize(
    "option", ["x=explode", "x=fail,code=0", "x=succeed,duration=-1", "x=succeed,concurrency=0", "x=succeed,speed=2"]
)
def test_a_bad_behaviour_is_refused(option: str) -> None:
    with pytest.raises(ValueError, match=r"outcome|code|duration|concurrency|not duration"):
        split_function_option(option)


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        Engine(SqliteStore(), speed=0)


def test_without_an_async_config_a_failed_run_is_not_retried(store: SqliteStore, clock: Clock) -> None:
    backend = _backend(store, clock, bad=Behaviour("fail", duration=1, code=9))
    [rid] = _invoke(backend, "bad")
    backend.engine.step()
    clock.now += 1
    backend.engine.step()
    assert (_run(backend, rid).status, _run(backend, rid).attempts, _run(backend, rid).error_code) == ("FAIL", 1, 9)


def test_a_served_mock_moves_canned_runs_in_its_event_loop_and_its_thread_leaves_them() -> None:
    app = create_app(Backend.with_defaults(function_urn=DEFAULT_FUNCTION_URN))
    engine = app.backend.engine
    passes: list[tuple[str, bool, int]] = []
    step = engine.step

    def recorded(*, canned: bool = True, code: bool = True, **bounds: int) -> int:
        moved = step(canned=canned, code=code, **bounds)
        passes.append((threading.current_thread().name, canned, moved))
        return moved

    engine.step = recorded  # type: ignore[method-assign]
    with serve_in_thread(app) as base, fgs.Client(base, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
        request_id = client.invoke_async(DEFAULT_FUNCTION_URN, {})
        assert client.wait(DEFAULT_FUNCTION_URN, request_id, timeout=30).status == fgs.InvocationStatus.SUCCESS
    moving = {name for name, _, moved in passes if moved}
    assert moving == {"fgs-mock"}  # the server's thread, where its event loop runs
    # While the loop moves them, the thread's passes leave canned behaviours alone.
    assert any(name == "fgs-mock-engine" and not canned for name, canned, _ in passes)
    assert engine._in_loop is None  # stopped with the server: a later engine.running() moves them again


class _Handle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Loop:
    """The serving loop as a served engine sees it: what it was asked to run next, in order."""

    def __init__(self) -> None:
        self.next: list[tuple[float, Callable[..., None], tuple[object, ...]]] = []
        self.handles: list[_Handle] = []  # those of call_later, in order

    def time(self) -> float:
        return 0.0

    def call_soon(self, callback: Callable[..., None], *args: object) -> None:
        self.next.append((0.0, callback, args))

    def call_later(self, delay: float, callback: Callable[..., None], *args: object) -> _Handle:
        self.next.append((delay, callback, args))
        self.handles.append(_Handle())
        return self.handles[-1]

    def run_next(self) -> None:
        _, callback, args = self.next.pop(0)
        callback(*args)


def test_a_pass_in_the_serving_loop_takes_a_slice_at_a_time_and_lets_requests_in_between(clock: Clock) -> None:
    # A whole pass's worth at once (a hundred runs and more under load) held every answer for 1-2 ms.
    store = SqliteStore()
    backend = _backend(store, clock, hello=Behaviour(duration=0, concurrency=1000))
    ids = _invoke(backend, "hello", 3 * LOOP_SLICE + 5)
    loop = _Loop()
    backend.engine.serve_canned_in(loop)  # type: ignore[arg-type]
    turns = 0
    while True:
        delay, callback, args = loop.next.pop(0)
        if delay > 0:  # the slices are done: the next pass waits for the tick
            break
        ended = _ended(store)
        callback(*args)
        turns += 1
        assert _ended(store) - ended <= LOOP_SLICE
    assert delay == backend.engine.tick
    assert turns >= 4  # 149 calls, a slice a turn
    assert set(_status(backend, ids)) == {"SUCCESS"}


def test_a_serving_loop_with_nothing_to_move_passes_seldom_until_a_call_waits(clock: Clock) -> None:
    # A pass a tick kept an idle mock at 2.9% of a core.
    backend = _backend(SqliteStore(), clock, now=Behaviour(duration=0), later=Behaviour(duration=1))
    engine, loop = backend.engine, _Loop()
    engine.serve_canned_in(loop)  # type: ignore[arg-type]
    loop.run_next()
    assert [delay for delay, _, _ in loop.next] == [IDLE_TICK]  # nothing waits or runs
    idle = loop.handles[-1]
    _stage(backend, "now", 2)  # calls that end as they arrive leave nothing for a pass
    engine.accept(backend.take_staged())
    assert (len(loop.next), idle.cancelled) == (1, False)
    later = _stage(backend, "later", 1)
    engine.accept(backend.take_staged())
    assert idle.cancelled
    assert loop.next[-1][0] == engine.tick
    loop.next.pop(0)  # the idle pass, cancelled
    loop.run_next()  # starts the call that waited
    assert _status(backend, later) == ["RUNNING"]
    loop.run_next()  # moves nothing, but a run runs: the next pass comes a tick later
    assert [delay for delay, _, _ in loop.next] == [engine.tick]
    clock.now += 1
    loop.run_next()
    assert _status(backend, later) == ["SUCCESS"]
    loop.run_next()
    assert [delay for delay, _, _ in loop.next] == [IDLE_TICK]


def test_passes_scheduled_by_an_earlier_serving_end_with_it(clock: Clock) -> None:
    # Served again on the same loop before an idle pass came, its pass must not start a second chain.
    backend = _backend(SqliteStore(), clock, now=Behaviour(duration=0))
    engine, loop = backend.engine, _Loop()
    engine.serve_canned_in(loop)  # type: ignore[arg-type]
    loop.run_next()
    assert [delay for delay, _, _ in loop.next] == [IDLE_TICK]
    engine.stop_serving_canned()
    engine.serve_canned_in(loop)  # type: ignore[arg-type]
    loop.run_next()  # the earlier serving's idle pass: it ends there
    assert [delay for delay, _, _ in loop.next] == [0.0]  # only the new serving's first pass
    loop.run_next()
    assert [delay for delay, _, _ in loop.next] == [IDLE_TICK]


@pytest.mark.parametrize(
    ("served", "through"),
    [(False, "thread"), (True, "loop"), (True, "thread")],
    ids=["thread", "loop", "served-thread"],
)
def test_an_idle_engine_starts_a_call_made_from_any_thread_at_once(
    served: bool, through: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine with nothing to move waits IDLE_TICK between passes; a call that waits wakes it. The wait is
    made an hour here, so a call that did not wake it would time the test out."""
    monkeypatch.setattr(engine_module, "IDLE_TICK", 3600.0)
    backend = Backend.with_defaults(store=SqliteStore())
    urn = f"{P}:default:later:latest"
    backend.register_function(urn, behaviour=Behaviour(duration=0.05))  # not instant: passes start and end it
    waited = threading.Event()  # the engine's thread began an idle wait
    wait = backend.engine._wake.wait

    def spied(timeout: float | None = None) -> bool:
        if timeout == engine_module.IDLE_TICK:
            waited.set()
        return wait(timeout)

    backend.engine._wake.wait = spied  # type: ignore[method-assign]
    if served:  # the serving loop's passes idle too; a call through its group commit, or from another thread
        with serve_in_thread(create_app(backend=backend)) as url, fgs.Client(url, P, DEFAULT_TOKEN) as client:
            assert waited.wait(30), "the engine's thread never waited idle"
            if through == "loop":
                request_id = client.invoke_async(urn, {})
            else:
                request_id = backend.accept(backend.resolve(P, "later"), b"{}").request_id
            _wait_for_success(backend, request_id)
        return
    with backend.engine.running():  # the thread's passes; a call made in another thread
        assert waited.wait(30), "the engine's thread never waited idle"
        _wait_for_success(backend, backend.accept(backend.resolve(P, "later"), b"{}").request_id)


def _wait_for_success(backend: Backend, request_id: str) -> None:
    deadline = time.monotonic() + 30
    while _status(backend, [request_id]) != ["SUCCESS"]:
        assert time.monotonic() < deadline, "an idle engine did not run the call"
        time.sleep(0.01)


def _stage(backend: Backend, name: str, count: int) -> list[str]:
    """Calls staged for the serving loop's next group commit."""
    function = backend.resolve(P, name)
    return [backend.stage(function, b"{}").request_id for _ in range(count)]


def _commit_served(backend: Backend) -> None:
    """The group commit of what is staged, with the canned passes in the serving loop."""
    backend.engine.serve_canned_in(_Loop())  # type: ignore[arg-type]
    backend.engine.accept(backend.take_staged())
    backend.engine.stop_serving_canned()


def _ended(store: SqliteStore) -> int:
    return int(store._db.execute("SELECT COUNT(*) FROM invocation WHERE status = 'SUCCESS'").fetchone()[0])


INSTANT_CASES = {
    "succeed": (Behaviour(duration=0), None, 5),
    "fail, no retry": (Behaviour("fail", duration=0, code=7), {"max_async_retry_attempts": 0}, 5),
    "fail, a retry": (Behaviour("fail", duration=0, code=7), {"max_async_retry_attempts": 1}, 5),
    "two at once": (Behaviour(duration=0, concurrency=2), None, 5),
    "takes time": (Behaviour(duration=1), None, 3),
    "to a destination": (
        Behaviour(duration=0),
        {"destination_config": {"on_success": {"destination": "OBS", "param": '{"bucket": "b"}'}}},
        3,
    ),
}


def _outcome(backend: Backend, clock: Clock, ids: list[str]) -> tuple[object, ...]:
    """How the runs `ids` end over 20 passes a second apart: each run, the notifications, the tally."""
    for _ in range(20):
        backend.engine.step()
        clock.now += 1
    runs = [_run(backend, i) for i in ids]
    notes = sorted(backend.invocations.notifications(), key=lambda n: ids.index(n.request_id))
    # When a run ends may differ by a pass: a pass ends up to `concurrency` more of what is left.
    ends = [(r.status, r.attempts, r.start_time == r.end_time, r.error_code, r.error_message) for r in runs]
    return ends, [(n.status, n.destination) for n in notes], backend.invocations.status_counts()


def test_only_the_calls_a_pass_would_end_at_once_go_in_ended(clock: Clock) -> None:
    store = SqliteStore()
    backend = _backend(
        store,
        clock,
        now=Behaviour(duration=0, concurrency=2),
        later=Behaviour(duration=1),
        fifo=Behaviour(duration=0),
        aged=Behaviour(duration=0),
    )
    store.put_config(f"{P}:default:aged:latest", json.dumps({"max_async_event_age_in_seconds": 10}), clock.now)
    waiting = _invoke(backend, "fifo")  # in SQLite, waiting: the calls after it must wait for it
    two = _stage(backend, "now", 4)
    one = _stage(backend, "later", 1)
    behind = _stage(backend, "fifo", 2)
    old = _stage(backend, "aged", 1)  # too old by the time it goes in: the pass discards it
    clock.now += 20
    young = _stage(backend, "aged", 1)  # and this one waits behind it
    _commit_served(backend)
    # No pass ran: what ended, ended as it went in.
    assert _status(backend, two) == ["SUCCESS", "SUCCESS", "WAIT", "WAIT"]
    assert _status(backend, one + waiting + behind + old + young) == ["WAIT"] * 6
    assert store.status_counts() == {"SUCCESS": 2, "WAIT": 8}


def _accept_served(backend: Backend, name: str, count: int) -> list[str]:
    """Calls recorded as the serving loop's group commit records them, with the canned passes in that loop."""
    ids = _stage(backend, name, count)
    _commit_served(backend)
    return ids


def test_a_group_reads_no_queue_while_no_run_of_any_function_waits_or_runs(clock: Clock) -> None:
    store = SqliteStore()
    backend = _backend(store, clock, now=Behaviour(duration=0), later=Behaviour(duration=1))
    queues: list[str] = []
    queue = "FROM invocation WHERE status IN ('WAIT', 'RUNNING')"  # a function's queue, not the tallies
    store._db.set_trace_callback(lambda sql: queues.append(sql) if queue in sql else None)
    _accept_served(backend, "now", 2)
    _accept_served(backend, "now", 2)
    assert queues == []  # the tallies say that nothing waits anywhere
    _accept_served(backend, "later", 1)
    assert queues == []  # a function with no instant runs has no queue to read
    after = _accept_served(backend, "now", 1)
    assert len(queues) == 1  # a run of another function waits: this one's queue is read
    assert _status(backend, after) == ["SUCCESS"]


def test_a_served_file_store_records_the_calls_of_instant_functions_already_ended(tmp_path: Path, clock: Clock) -> None:
    # Each such run was inserted WAIT, then a pass UPDATEd it and committed again; now no pass has to.
    store = SqliteStore(path=tmp_path / "mock.db")
    backend = _backend(store, clock, now=Behaviour(duration=0, concurrency=2), later=Behaviour(duration=1))
    two = _accept_served(backend, "now", 3)
    one = _accept_served(backend, "later", 1)
    assert _status(backend, two + one) == ["SUCCESS", "SUCCESS", "WAIT", "WAIT"]
    unserved = _backend(SqliteStore(path=tmp_path / "other.db"), clock, now=Behaviour(duration=0))
    assert _status(unserved, _invoke(unserved, "now", 2)) == ["WAIT", "WAIT"]  # the thread's passes end them


@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
@pytest.mark.parametrize("case", INSTANT_CASES, ids=list(INSTANT_CASES))
def test_calls_a_served_store_records_ended_end_exactly_as_a_pass_ends_them(
    case: str, in_file: bool, tmp_path: Path
) -> None:
    # The group commit puts the calls of runs that take no time into SQLite ended, sparing each an UPDATE:
    # every run must end as the passes over WAIT rows end it, notifications included.
    behaviour, config, count = INSTANT_CASES[case]
    outcomes = []
    for served in (False, True):
        clock = Clock()
        store = SqliteStore(path=tmp_path / f"{served}.db" if in_file else None)
        backend = _backend(store, clock, f=behaviour)
        if config is not None:
            store.put_config(f"{P}:default:f:latest", json.dumps(config), clock.now)
        ids = _accept_served(backend, "f", count) if served else _invoke(backend, "f", count)
        outcomes.append(_outcome(backend, clock, ids))
    assert outcomes[0] == outcomes[1]


def test_a_destination_that_cannot_be_told_does_not_refuse_calls_already_stored(tmp_path: Path, clock: Clock) -> None:
    store = SqliteStore(path=tmp_path / "mock.db")
    backend = _backend(store, clock, f=Behaviour(duration=0))
    destination = {"on_success": {"destination": "OBS", "param": '{"bucket": "b"}'}}
    store.put_config(f"{P}:default:f:latest", json.dumps({"destination_config": destination}), clock.now)

    def full(_: object) -> None:
        raise StoreUnavailable("database or disk is full")

    store.notify = full  # type: ignore[method-assign,assignment]
    ids = _accept_served(backend, "f", 2)  # no exception: the group commit answers both 202
    assert _status(backend, ids) == ["SUCCESS", "SUCCESS"]
