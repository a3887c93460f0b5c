"""The mock as a test double: `running()` for any code, the `fgs_mock` pytest fixture on top of it.

    with fgs_mock.running() as mock:
        mock.fail(429, next=1, retry_after=1)
        with mock.client() as client:
            client.invoke_async(mock.function_urn, {"k": "v"})
        assert [call.status for call in mock.invocations] == [429, 202]

`running()` serves the mock on a free loopback port; `running(in_process=True)` serves it to the
clients through httpx transports, with no socket at all. Either way the mock's engine runs what it
accepts (WAIT -> RUNNING -> SUCCESS | FAIL), as each registered function's `Behaviour` says.
"""

from __future__ import annotations

import inspect
import json
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

import fgs
from fgs_mock import urls
from fgs_mock.behaviour import Behaviour
from fgs_mock.dialects import Dialect, load
from fgs_mock.inprocess import InProcessTransport
from fgs_mock.models import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend
from fgs_mock.responses import MAX_BODY, MockApp, Receive, Scope, Send, create_app
from fgs_mock.runtime import FunctionCode
from fgs_mock.server import serve_in_thread
from fgs_mock.store import TERMINAL, Notification

__all__ = ["Call", "MockEndpoint", "asgi_app", "running"]

MAX_RECORDED = 10_000
IN_PROCESS_ENDPOINT = "http://fgs-mock.in-process"


@dataclass(frozen=True)
class Call:
    """One call of the invocation route, as the mock saw it. The token is not kept."""

    project_id: str
    function_urn: str
    raw: bytes = field(repr=False)
    body: Any  # the decoded JSON, or None when the body was not JSON
    status: int | None  # None: no answer was sent (dropped, stalled, or the client left first)
    request_id: str | None
    error_code: str | None
    run_status: str | None = None  # where the accepted run is now: WAIT, RUNNING, SUCCESS, FAIL or DISCARD
    attempts: int = 0  # how many times the run started
    result: Any = None  # what a function's code returned (None until it succeeded, or over 256 KB)
    error: dict[str, Any] | None = None  # {errorMessage, errorType, stackTrace} of its last failed attempt
    logs: str = field(default="", repr=False)  # what its code printed and logged, over all attempts


@dataclass
class _Seen:
    project_id: str
    function_urn: str
    raw: bytes = b""
    status: int | None = None
    answer: bytes = b""

    def freeze(self) -> Call:
        body, answer = _json(self.raw), _json(self.answer)
        fields = answer if isinstance(answer, dict) else {}
        request_id, error_code = fields.get("request_id"), fields.get("error_code")
        return Call(
            self.project_id,
            self.function_urn,
            self.raw,
            body,
            self.status,
            request_id if isinstance(request_id, str) and self.status == 202 else None,
            error_code if isinstance(error_code, str) else None,
        )


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except (ValueError, RecursionError):
        return None


class _Recorder:
    """An ASGI app around the mock that records each invocation before its answer leaves."""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self._seen: deque[_Seen] = deque(maxlen=MAX_RECORDED)
        self._lock = threading.Lock()

    def calls(self) -> list[Call]:
        with self._lock:
            seen = list(self._seen)
        return [s.freeze() for s in seen]

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app  # the app of this call, even if a reset swaps it meanwhile
        found = urls.match(scope.get("raw_path") or scope["path"].encode()) if scope["type"] == "http" else None
        if found is None or found.route != "invoke" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        seen = _Seen(found.params["project_id"], found.params["function_urn"])
        body = bytearray()

        async def tap_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                if len(body) <= MAX_BODY:
                    body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded once the request is whole, so a call that never gets an answer shows too.
                    seen.raw = bytes(body)
                    with self._lock:
                        self._seen.append(seen)
            return dict(message)

        async def tap_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
            elif message["type"] == "http.response.body":
                seen.answer += message.get("body", b"")
            await send(message)

        await app(scope, tap_receive, tap_send)


class MockEndpoint:
    """A running mock and the handles a test needs: its tenant, clients, recorded calls and faults."""

    def __init__(
        self, recorder: _Recorder, endpoint: str, *, token: str, project_id: str, function_urn: str, in_process: bool
    ) -> None:
        self.endpoint = endpoint
        self.project_id = project_id
        self.function_urn = function_urn
        self._token = token
        self._recorder = recorder
        self._in_process = in_process
        self._clients: list[fgs.Client] = []
        self.app.backend.engine.start()

    @property
    def token(self) -> str:
        return self._token

    def __repr__(self) -> str:  # the token stays out
        return f"MockEndpoint(endpoint={self.endpoint!r}, project_id={self.project_id!r})"

    @property
    def backend(self) -> Backend:
        """The mock's state, for what the methods here do not cover."""
        return self._recorder.app.backend

    @property
    def app(self) -> MockApp:
        return self._recorder.app

    def _token_unless(self, options: dict[str, Any]) -> str | None:
        return None if "credentials" in options else self._token

    def client(self, **options: Any) -> fgs.Client:
        """An fgs.Client for this mock's tenant; `options` go to fgs.Client. Closed when the mock stops.

        It sends the tenant's token, unless `credentials=` (say from `add_access_key`) is given.
        """
        if self._in_process:
            options.setdefault("transport", InProcessTransport(self._recorder))
        client = fgs.Client(self.endpoint, self.project_id, self._token_unless(options), **options)
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> fgs.AsyncClient:
        """An fgs.AsyncClient for this mock's tenant: use it in `async with`, which closes it.

        In process it goes through httpx.ASGITransport, which has no read timeout and cannot close a
        connection: planned delays are waited out, drops and stalls are not emulated (use `running()`).
        """
        if self._in_process:
            options.setdefault("transport", httpx.ASGITransport(app=self._recorder))
        return fgs.AsyncClient(self.endpoint, self.project_id, self._token_unless(options), **options)

    @property
    def invocations(self) -> list[Call]:
        """Every call of the invocation route so far (the newest 10,000), oldest first, whatever its answer.

        An accepted call also shows where its run is now (`run_status`).
        """
        return [self._with_run(call) for call in self._recorder.calls()]

    def _with_run(self, call: Call) -> Call:
        request_id = None if call.request_id is None else self.app.dialect.internal_id(call.request_id)
        run = None if request_id is None else self.backend.invocations.run(request_id)
        if run is None:
            return call
        output = self.backend.invocations.output(run.request_id)
        result, error, logs = (None, None, "") if output is None else output
        return replace(
            call,
            run_status=run.status,
            attempts=run.attempts,
            result=None if result is None else json.loads(result),
            error=None if error is None else json.loads(error),
            logs=logs,
        )

    def wait(self, request_id: str, *, timeout: float = 30.0) -> Call:
        """The invocation once its run has ended (SUCCESS, FAIL or DISCARD); TimeoutError if it did not.

        An invocation a destination made has no HTTP call: its `status` is None.
        """
        deadline = time.monotonic() + timeout
        internal = self.app.dialect.internal_id(request_id)
        while True:
            run = self.backend.invocations.run(internal)
            if run is None:
                raise KeyError(f"no accepted invocation has request_id {request_id!r}")
            if run.status in TERMINAL:
                return self._with_run(self._call_of(request_id))
            if time.monotonic() > deadline:
                raise TimeoutError(f"the run of {request_id} is still {run.status} after {timeout:g} s")
            time.sleep(0.005)

    def _call_of(self, request_id: str) -> Call:
        for call in reversed(self._recorder.calls()):
            if call.request_id == request_id:
                return call
        accepted = self.backend.invocations.get(self.app.dialect.internal_id(request_id))
        assert accepted is not None
        urn = accepted.function.full_urn(self.backend.region)
        return Call(accepted.project_id, urn, accepted.body, _json(accepted.body), None, request_id, None)

    def run(self, urn: str, event: Any = None) -> Any:
        """Call a function's handler in one of its instances, with no HTTP and no store.

        Returns what it returned; raises `fgs_mock.runtime.HandlerError` with its error record.
        """
        function, code = self.backend.code(urn, self.project_id)
        return self.backend.engine.runtime.call(function, code, {} if event is None else event, str(uuid.uuid4()))

    @property
    def notifications(self) -> list[Notification]:
        """What the engine sent to functions' on_success / on_failure destinations, newest first."""
        return self.backend.invocations.notifications()

    def clear(self) -> None:
        """Forget the recorded calls (and the accepted invocations the mock's own store holds)."""
        self._recorder.clear()
        self.backend.invocations.clear()

    def register(
        self,
        urn: str,
        behaviour: Behaviour | None = None,
        *,
        path: str | None = None,
        handler: str | Callable[..., Any] | None = None,
        initializer: str | None = None,
        timeout: float | None = None,
        initializer_timeout: float | None = None,
        memory: int | None = None,
        cpu: float | None = None,
        concurrency: int | None = None,
        python: str | None = None,
        user_data: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> str:
        """Make another function of this tenant invocable; returns its full URN, for a client.

        `urn` is a full URN, or a short form read in this mock's project: `"name"` (package `default`),
        `"package:name"`, `"<project>:package:name:version"`. Three fields are project, package and name.
        `behaviour` is how its runs end, e.g. `Behaviour.fail(code=4001)`; a new function succeeds.
        With `handler` its runs call your code instead: `"index.handler"` in the folder `path`, or an
        importable top-level function (not a lambda nor a closure). See docs/handlers.md for the rest.
        """
        code = None
        if handler is not None:
            given = {
                "initializer": initializer,
                "timeout": timeout,
                "initializer_timeout": initializer_timeout,
                "memory": memory,
                "cpu": cpu,
                "concurrency": concurrency,
                "python": python,
            }
            options: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
            options["user_data"] = dict(user_data or {})
            if callable(handler):
                options["handler"], options["import_path"] = _importable(handler), tuple(sys.path)
            else:
                options["handler"] = handler
            code = FunctionCode(path=path or ".", **options)
        elif path is not None:
            raise ValueError("path= goes with handler=")
        ref = self.backend.register_function(
            urn, project_id=self.project_id, behaviour=behaviour, code=code, credentials=credentials
        )
        return ref.full_urn(self.backend.region)

    def add_access_key(self, access_key: str, secret_key: str) -> fgs.AccessKey:
        """Accept requests signed with this key pair as this tenant's; returns them as `client(credentials=)`."""
        self.backend.add_access_key(access_key, secret_key, self.project_id)
        return fgs.AccessKey(access_key, secret_key)

    def add_iam_user(
        self, domain: str, user: str, password: str, *, project_name: str | None = None
    ) -> fgs.IamPassword:
        """Let this user log in at the mock's IAM route for tokens of this tenant; returns the login.

        `project_name` is what the login's scope names (the region by default, as on the cloud).
        """
        project_name = project_name or self.backend.region
        self.backend.add_iam_user(domain, user, password, self.project_id, project_name)
        return fgs.IamPassword(self.endpoint, domain, user, password, project_name)

    def fail(
        self, status: int, *, next: int | None = None, share: float | None = None, retry_after: int | None = None
    ) -> None:
        """Answer 429, 500 or 503: to the `next` calls, then to a `share` of calls; to every call by default."""
        self._plan(next, share, status=status, retry_after=retry_after)

    def delay(self, seconds: float, *, next: int | None = None, share: float | None = None) -> None:
        """Answer after `seconds` (a client's timeout may run out first: the call then leaves no answer)."""
        self._plan(next, share, delay=seconds)

    def drop(self, *, next: int | None = None, share: float | None = None) -> None:
        """Close the connection after the request arrived, without answering."""
        self._plan(next, share, drop=True)

    def stall(self, *, next: int | None = None, share: float | None = None) -> None:
        """Never answer; the connection stays open until the client gives up."""
        self._plan(next, share, stall=True)

    def recover(self) -> None:
        """No more faults."""
        self.backend.faults.clear()

    def _plan(self, next_count: int | None, share: float | None, **fault: Any) -> None:
        every = next_count is None and share is None
        self.backend.faults.set(next_count=next_count or 0, share=1.0 if every else share or 0.0, **fault)

    @property
    def dialect(self) -> Dialect:
        return self.app.dialect

    def reset(self, *, dialect: Dialect | str | Path | None = None) -> None:
        """A fresh mock behind the same address: the default tenant and function, no calls, no faults.

        It keeps its dialect unless given another (a built-in name, a profile's path, or a Dialect).
        """
        chosen = self.app.dialect if dialect is None else _dialect(dialect)
        fresh = _mock_app(self._token, self.project_id, self.function_urn, chosen)
        fresh.backend.engine.start()
        old, self._recorder.app = self._recorder.app, fresh
        old.backend.engine.stop()
        self._recorder.clear()

    def stop(self) -> None:
        """Close the clients of `client()` and stop the engine; `running()` calls it on the way out."""
        self.close_clients()
        self.app.backend.engine.stop()

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def _importable(handler: Callable[..., Any]) -> str:
    """`module:qualname` of a function an instance can import by name; ValueError for any other."""
    module, qualname = getattr(handler, "__module__", None), getattr(handler, "__qualname__", "")
    if not inspect.isfunction(handler) or "<lambda>" in qualname or "<locals>" in qualname or "." in qualname:
        raise ValueError(
            "handler must be a top-level function of an importable module, or a 'FILE.FUNCTION' string: "
            "a lambda, closure or method cannot be imported by a worker process"
        )
    if module in (None, "__main__") or getattr(sys.modules.get(module or ""), qualname, None) is not handler:
        raise ValueError(f"handler {qualname} cannot be imported by name from module {module}")
    return f"{module}:{qualname}"


def _mock_app(token: str, project_id: str, function_urn: str, dialect: Dialect | None = None) -> MockApp:
    backend = Backend.with_defaults(token=token, project_id=project_id, function_urn=function_urn)
    return create_app(backend, dialect)


def _dialect(dialect: Dialect | str | Path | None) -> Dialect | None:
    """A Dialect as given, a built-in one by name, or a profile from its path (DialectError if unusable)."""
    return dialect if dialect is None or isinstance(dialect, Dialect) else load(dialect)


def asgi_app(
    *,
    token: str = DEFAULT_TOKEN,
    project_id: str = DEFAULT_PROJECT_ID,
    function_urn: str = DEFAULT_FUNCTION_URN,
    dialect: Dialect | str | Path | None = None,
) -> MockApp:
    """The mock as a plain ASGI app, for an ASGI server or transport of your own.

    Planned drops need the server to offer the `fgs_mock.drop` scope extension (see fgs_mock.faults).
    """
    return _mock_app(token, project_id, function_urn, _dialect(dialect))


@contextmanager
def running(
    *,
    token: str = DEFAULT_TOKEN,
    project_id: str = DEFAULT_PROJECT_ID,
    function_urn: str = DEFAULT_FUNCTION_URN,
    in_process: bool = False,
    dialect: Dialect | str | Path | None = None,
) -> Iterator[MockEndpoint]:
    """A fresh mock for the block: on a free loopback port, or in process (no socket).

    `dialect`: how it answers where the docs leave a choice: "documented" (the default), "gateway",
    "lenient", a profile's path (from `fgs-conformance --profile`), or a `fgs_mock.dialects.Dialect`.
    """
    recorder = _Recorder(_mock_app(token, project_id, function_urn, _dialect(dialect)))
    tenant = {"token": token, "project_id": project_id, "function_urn": function_urn}
    if in_process:
        mock = MockEndpoint(recorder, IN_PROCESS_ENDPOINT, in_process=True, **tenant)
        try:
            yield mock
        finally:
            mock.stop()
        return
    with serve_in_thread(recorder) as endpoint:
        mock = MockEndpoint(recorder, endpoint, in_process=False, **tenant)
        try:
            yield mock
        finally:
            mock.stop()
