"""The wall clock steps an hour back or forward: no run is discarded or ended early, no token expires early.

Ages, run times and token lifetimes run on a monotonic clock, injected here as a fake one the test
moves by hand. `time.time` is stepped too, so that code reading the wall clock directly would be caught.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from fgs._iam import HttpRequest, HttpResponse, TokenCache, login_body, parse_login
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, serve_in_thread
from fgs_mock.behaviour import Behaviour
from fgs_mock.clock import SteadyClock
from fgs_mock.responses import create_app
from fgs_mock.store import SqliteStore

P = DEFAULT_PROJECT_ID
SLOW = f"{P}:default:slow:latest"
HOUR = 3600.0
LIFETIME = 600.0  # seconds an IAM token lives
LOGIN = {"domain": "acme", "user": "ops", "password": "pw-for-tests", "project": "eu-de"}


class Clocks:
    """A wall clock the test steps (also behind `time.time`), and a monotonic clock it advances."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.wall_step = 0.0
        self.elapsed = 0.0
        self._origin = time.time()
        monkeypatch.setattr(time, "time", self.wall)

    def wall(self) -> float:
        return self._origin + self.elapsed + self.wall_step

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> Clocks:
    return Clocks(monkeypatch)


@pytest.fixture
def mock(clocks: Clocks) -> Iterator[tuple[Backend, str]]:
    backend = Backend.with_defaults(store=SqliteStore(), clock=SteadyClock(clocks.wall, clocks.monotonic))
    backend.register_function(SLOW, behaviour=Behaviour(duration=100, concurrency=1))
    backend.add_iam_user(LOGIN["domain"], LOGIN["user"], LOGIN["password"], P, LOGIN["project"])
    backend.iam.lifetime = LIFETIME
    backend.engine.tick = 3600  # the test steps the engine itself, after each move of the clocks
    with serve_in_thread(create_app(backend)) as url:
        yield backend, url


def _status(client: httpx.Client, request_id: str) -> str:
    answer = client.get(f"/v2/{P}/fgs/functions/slow/async-invocations", params={"request_id": request_id})
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["invocations"][0]["status"]
    return status


def test_runs_age_and_end_on_the_monotonic_clock(clocks: Clocks, mock: tuple[Backend, str]) -> None:
    backend, url = mock
    with httpx.Client(base_url=url, timeout=30, headers={"X-Auth-Token": DEFAULT_TOKEN}) as client:
        put = client.put(f"/v2/{P}/fgs/functions/slow/async-invoke-config", json={"max_async_event_age_in_seconds": 60})
        assert put.status_code == 200
        path = f"/v2/{P}/fgs/functions/slow/invocations-async"
        running, waiting = (client.post(path, json={"n": n}).json()["request_id"] for n in range(2))
        backend.engine.step()
        assert (_status(client, running), _status(client, waiting)) == ("RUNNING", "WAIT")
        for step in (HOUR, -HOUR, -HOUR):  # forward an hour, back to where it was, back an hour more
            clocks.wall_step += step
            clocks.elapsed += 15  # 45 s in all: under the 60 s age and the 100 s run
            backend.engine.step()
            assert (_status(client, running), _status(client, waiting)) == ("RUNNING", "WAIT")
        clocks.elapsed += 20  # 65 s: the waiting event is now too old
        backend.engine.step()
        assert (_status(client, running), _status(client, waiting)) == ("RUNNING", "DISCARD")
        clocks.elapsed += 40  # 105 s: the run is over
        backend.engine.step()
        assert _status(client, running) == "SUCCESS"


def test_mock_tokens_live_their_lifetime_whatever_the_wall_clock(clocks: Clocks, mock: tuple[Backend, str]) -> None:
    _, url = mock
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/v3/auth/tokens", content=login_body(**LOGIN))
        assert login.status_code == 201
        token = {"X-Auth-Token": login.headers["X-Subject-Token"]}
        query = f"/v2/{P}/fgs/functions/hello/async-invocations"
        for step in (HOUR, -2 * HOUR):
            clocks.wall_step += step
            clocks.elapsed += LIFETIME / 3
            assert client.get(query, headers=token).status_code == 200
        clocks.elapsed += LIFETIME / 3 + 1  # past its lifetime, by more than a rounding error
        assert client.get(query, headers=token).status_code == 401


def test_the_client_refreshes_its_iam_token_on_time_whatever_the_wall_clock(
    clocks: Clocks, mock: tuple[Backend, str]
) -> None:
    _, url = mock

    def send(request: HttpRequest) -> HttpResponse:
        answer = httpx.request(request.method, request.url, headers=dict(request.headers), content=request.body)
        return HttpResponse(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.content)

    request = HttpRequest("POST", f"{url}/v3/auth/tokens", {"Content-Type": "application/json"}, login_body(**LOGIN))
    cache = TokenCache(
        lambda: request, lambda answer, now: parse_login(answer, now=now), wall=clocks.wall, monotonic=clocks.monotonic
    )
    first = cache.ensure(send)
    assert first.project_id == P
    for step in (HOUR, -2 * HOUR):  # forward: not thrown away early; back: not kept past its time
        clocks.wall_step += step
        clocks.elapsed += 100
        assert not cache.due()
        assert cache.ensure(send) is first
    # keystoneauth's margin: replaced 120 s before it expires (a second either side: the body's times
    # are rounded to the microsecond)
    clocks.elapsed = LIFETIME - 120 - 1
    assert not cache.due()
    clocks.elapsed = LIFETIME - 120 + 1
    assert cache.due()
    assert cache.ensure(send) is not first
    assert cache.refreshes == 2
