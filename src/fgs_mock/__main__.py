"""fgs-mock: serve the FunctionGraph async-invocation mock endpoint, an emulator of its lifecycle.

The tenant comes from FGS_AUTH_TOKEN, FGS_PROJECT_ID and FGS_FUNCTION_URN (each has a default), the
port from --port or PORT (default 8080), the control token from --control-token or
FGS_MOCK_CONTROL_TOKEN. Access keys (--access-key, or FGS_ACCESS_KEY/FGS_SECRET_KEY) and IAM users
(--iam-user, or FGS_DOMAIN/FGS_USER/FGS_PASSWORD/FGS_PROJECT_NAME) belong to that project.
Bad flags or environment end with one line on stderr and exit status 2.

Every accepted invocation runs: WAIT -> RUNNING -> SUCCESS or FAIL (DISCARD when too old). A function's
behaviour is `--function URN=OUTCOME[,KEY=VALUE...]`: OUTCOME is succeed, fail or timeout; KEYs are
duration (seconds a run takes, default 0.05), code (fail's integer error code, default 500), timeout
(the function's timeout, which a timeout run exceeds, default 0.2) and concurrency (runs at once,
default 4; the rest WAIT). Example: --function 'bad=fail,code=4001,concurrency=2'.

A function can run your Python handler instead: --function 'URN=path=DIR,handler=index.handler' with
optional initializer=, timeout= (default 3), initializer_timeout=, memory= (MB, default 128), cpu=,
concurrency= (default 1) and python= (the interpreter); --user-data 'URN:KEY=VALUE' (repeatable) is
what context.getUserData(KEY) reads. See docs/handlers.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn

from fgs._version import package_version
from fgs.settings import resolve
from fgs_mock.auth import DEFAULT_TOKEN_LIFETIME, parse_key_option, parse_user_option
from fgs_mock.behaviour import split_function_option
from fgs_mock.dialects import BUILT_IN, Dialect, DialectError, load
from fgs_mock.models import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend
from fgs_mock.protocol import Limits
from fgs_mock.responses import MockApp, create_app
from fgs_mock.runtime.spec import FunctionCode, looks_like_code, split_user_data_option
from fgs_mock.server import HOST, bind, is_loopback, serve_forever
from fgs_mock.store import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INVOCATIONS, SqliteStore, guard
from fgs_mock.store.schema import UnusableStore
from fgs_mock.urn import parse_urn

DEFAULTS = Limits()
DEFAULT_PROJECT_NAME = "eu-de"  # IAM names a region's default project after the region
RESPAWN_PAUSE = 1.0  # seconds a replaced worker must have lived, or its replacement waits the rest


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _bounded(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not within [{_shown(low)}, {_shown(high)}]")
        return value

    return convert


def _shown(bound: float) -> str:
    # Whole bounds in full (2147483647, not 2.14748e+09), others as short as they stay exact.
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _default_max_connections() -> int:
    # Leave file descriptors for the listener, logs and the process itself.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, min(DEFAULTS.max_connections, soft - 64)) if soft != resource.RLIM_INFINITY else 1000


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fgs-mock", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    count, seconds = _bounded(int, 1, 2**31 - 1), _bounded(float, 0.001, 3600)
    p.add_argument(
        "--host", default=HOST, help="address to bind (default %(default)s); off loopback needs a control token"
    )
    p.add_argument("--port", type=_bounded(int, 0, 65535), help="port to bind (default $PORT, else 8080; 0 picks one)")
    p.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="URN[=BEHAVIOUR]",
        help="register another function, with its behaviour (see above)",
    )
    p.add_argument(
        "--user-data",
        action="append",
        default=[],
        metavar="URN:KEY=VALUE",
        help="user data of a function registered with code (repeat)",
    )
    p.add_argument("--store", metavar="PATH", help="keep state in this SQLite file (default: in memory)")
    p.add_argument(
        "--max-store-bytes",
        type=_bounded(int, 64 * 1024, 2**47),
        metavar="B",
        help="let the --store file grow to B bytes at most; calls past it get 503, as on a full disk",
    )
    p.add_argument(
        "--workers", type=_bounded(int, 1, 64), default=1, metavar="N", help="N processes; needs --store (default 1)"
    )
    p.add_argument(
        "--speed", type=_bounded(float, 0.001, 1e6), default=1.0, metavar="F", help="run time F times faster"
    )
    p.add_argument("--fail-status", type=int, default=503, choices=(429, 500, 503), help="status of planned failures")
    p.add_argument(
        "--fail-next", type=_bounded(int, 0, 2**31 - 1), default=0, metavar="N", help="the first N calls fail"
    )
    p.add_argument("--fail-share", type=_bounded(float, 0, 1), default=0.0, metavar="P", help="then a share P fails")
    p.add_argument(
        "--dialect",
        metavar="NAME|PATH",
        help=f"answer as this dialect: {', '.join(BUILT_IN)} (default documented), or a profile "
        "that fgs-conformance --profile wrote",
    )
    p.add_argument("--lenient", action="store_true", help="the same as --dialect lenient")
    p.add_argument("--control-token", metavar="TOKEN", help="required on /_mock/ routes (X-Mock-Control-Token)")
    p.add_argument("--access-key", action="append", default=[], metavar="AK:SK", help="accept calls signed with it")
    p.add_argument(
        "--iam-user",
        action="append",
        default=[],
        metavar="DOMAIN:USER:PASSWORD[:PROJECT]",
        help=f"may log in at /v3/auth/tokens, scoped to PROJECT (default {DEFAULT_PROJECT_NAME})",
    )
    p.add_argument(
        "--token-lifetime",
        type=_bounded(float, 0.001, 7 * 24 * 3600),
        default=DEFAULT_TOKEN_LIFETIME,
        metavar="S",
        help="seconds an IAM token stays valid (default %(default)g)",
    )
    bounds = [  # flag, converter, default, metavar, help
        ("--max-invocations", count, DEFAULT_MAX_INVOCATIONS, "N", "keep the newest N accepted calls"),
        ("--max-invocation-bytes", count, DEFAULT_MAX_BODY_BYTES, "B", "and at most B bytes of their bodies"),
        ("--head-timeout", seconds, DEFAULTS.head_timeout, "S", "close a connection whose head takes over S s"),
        ("--body-timeout", seconds, DEFAULTS.body_timeout, "S", "close a connection whose body takes over S s"),
        ("--max-header-bytes", count, DEFAULTS.max_header_bytes, "B", "431 past B bytes of request head"),
        ("--max-headers", count, DEFAULTS.max_headers, "N", "431 past N header fields"),
    ]
    for flag, kind, default, metavar, text in bounds:
        p.add_argument(flag, type=kind, default=default, metavar=metavar, help=f"{text} (default %(default)s)")
    p.add_argument(
        "--max-connections",
        type=count,
        metavar="N",
        help="past N open connections, close the longest idle (default 1000, less with a low fd limit)",
    )
    return p


def _add_credentials(backend: Backend, project: str, access_keys: list[str], users: list[str], lifetime: float) -> None:
    # The messages name the flag, never the secret in it.
    for option in access_keys:
        try:
            backend.add_access_key(*parse_key_option(option), project)
        except ValueError as exc:
            raise ValueError(f"--access-key: {exc}") from None
    for option in users:
        try:
            domain, user, password, project_name = parse_user_option(option, DEFAULT_PROJECT_NAME)
            backend.add_iam_user(domain, user, password, project, project_name)
        except ValueError as exc:
            raise ValueError(f"--iam-user: {exc}") from None
    backend.iam.lifetime = lifetime


def _add_login(backend: Backend, project: str, settings: dict[str, str]) -> None:
    """The IAM login the clients read (FGS_DOMAIN, FGS_USER, FGS_PASSWORD, FGS_PROJECT_NAME) may log in here."""
    login = [settings.get(name, "") for name in ("FGS_DOMAIN", "FGS_USER", "FGS_PASSWORD")]
    if not any(login):
        return
    if not all(login):
        raise ValueError("FGS_DOMAIN, FGS_USER and FGS_PASSWORD: set all three for an IAM login, or none")
    domain, user, password = login
    backend.add_iam_user(domain, user, password, project, settings.get("FGS_PROJECT_NAME", DEFAULT_PROJECT_NAME))


def main(argv: list[str] | None = None) -> None:
    p = parser()
    args = p.parse_args(argv)
    try:
        port = args.port if args.port is not None else int(os.environ.get("PORT", "8080"))
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        p.error("PORT must be an integer within [0, 65535]")
    control_token = args.control_token or os.environ.get("FGS_MOCK_CONTROL_TOKEN") or None
    if control_token is None and not is_loopback(args.host):
        p.error(f"--host {args.host} is not loopback: set --control-token or FGS_MOCK_CONTROL_TOKEN")
    if args.workers > 1 and args.store is None:
        p.error("--workers needs --store: the workers share their state through the file")
    if args.lenient and args.dialect not in (None, "lenient"):
        p.error("--lenient is --dialect lenient: give one of them")
    try:
        dialect = load("lenient" if args.lenient else args.dialect or "documented")
    except DialectError as exc:
        p.error(f"--dialect: {exc}")
    limits = Limits(
        head_timeout=args.head_timeout,
        body_timeout=args.body_timeout,
        max_header_bytes=args.max_header_bytes,
        max_headers=args.max_headers,
        max_connections=args.max_connections or _default_max_connections(),
    )
    if args.max_store_bytes is not None and args.store is None:
        p.error("--max-store-bytes needs --store")
    try:
        if args.store is not None:
            # Held until this process and every worker it forks have ended.
            guard.hold(args.store)
        store = _open(args)
    except (sqlite3.Error, OSError, UnusableStore) as exc:
        p.error(f"--store {args.store}: {_one_line(exc)}")
    # Runs that were RUNNING when a previous process died queue again; done once, before any worker starts.
    store.recover()
    app = _app(p, args, store, control_token, dialect, first=True)
    try:
        sock = bind(args.host, port)
    except OSError as exc:
        p.error(f"cannot listen on {args.host}:{port}: {exc.strerror or exc}")
    # The token is a secret even here: name the project and function, never the token.
    project = resolve(os.environ).get("FGS_PROJECT_ID", DEFAULT_PROJECT_ID)
    print(f"fgs-mock on http://{args.host}:{sock.getsockname()[1]} project={project}", file=sys.stderr, flush=True)
    if args.workers == 1:
        serve_forever(app, sock, limits)
        return
    store.close()
    _serve_workers(
        args.workers,
        sock,
        limits,
        lambda: _app(p, args, _open(args), control_token, dialect, first=False),
        _recoverer(args),
    )


def _open(args: argparse.Namespace) -> SqliteStore:
    return SqliteStore(args.max_invocations, args.max_invocation_bytes, path=args.store, max_bytes=args.max_store_bytes)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _recoverer(args: argparse.Namespace) -> Callable[[int], int]:
    def recover(pid: int) -> int:
        store = _open(args)
        try:
            return store.recover(owner=pid)
        finally:
            store.close()

    return recover


def _app(
    p: argparse.ArgumentParser,
    args: argparse.Namespace,
    store: SqliteStore,
    token: str | None,
    dialect: Dialect,
    *,
    first: bool,
) -> MockApp:
    """The app over `store`. Only the `first` (built before any worker forks) writes the flags' functions and
    fault plan into the store: a worker, or one started in place of a dead one, that wrote them again would
    undo what the control API has set since (a plan, its "next" failures still unclaimed, a behaviour)."""
    # The tenant from the settings the clients read (fgs.settings), the SDK's names included.
    settings = resolve(os.environ)
    project = settings.get("FGS_PROJECT_ID", DEFAULT_PROJECT_ID)
    tenant_token = os.environ.get("FGS_AUTH_TOKEN", DEFAULT_TOKEN)
    urn = os.environ.get("FGS_FUNCTION_URN", DEFAULT_FUNCTION_URN)
    try:
        parse_urn(urn)
    except ValueError as exc:
        p.error(f"FGS_FUNCTION_URN: {exc}")
    try:
        backend = Backend.with_defaults(
            token=tenant_token, project_id=project, function_urn=urn, store=store, speed=args.speed
        )
    except ValueError as exc:  # the messages name the token, never quote it
        p.error(f"FGS_AUTH_TOKEN, FGS_PROJECT_ID or FGS_FUNCTION_URN: {exc}")
    if "FGS_ACCESS_KEY" in settings or "FGS_SECRET_KEY" in settings:
        pair = f"{settings.get('FGS_ACCESS_KEY', '')}:{settings.get('FGS_SECRET_KEY', '')}"
        args.access_key = [*args.access_key, pair]  # checked, and named without its secret, as --access-key is
    try:
        _add_credentials(backend, project, args.access_key, args.iam_user, args.token_lifetime)
        _add_login(backend, project, settings)
    except ValueError as exc:
        p.error(str(exc))
    for option in args.function:
        try:
            if not option.partition("=")[0]:
                raise ValueError("names no function: give URN or URN=BEHAVIOUR, e.g. --function 'bad=fail,code=4001'")
            _register(backend, option, project, first=first)
        except ValueError as exc:
            p.error(f"--function {option!r}: {exc}")
    for option in args.user_data:
        try:
            urn, key, value = split_user_data_option(option)
            backend.add_user_data(urn, key, value, project)
        except ValueError as exc:  # the value may be a secret: name the flag only
            p.error(f"--user-data: {exc}")
    if first:
        backend.faults.set(status=args.fail_status, next_count=args.fail_next, share=args.fail_share)
    try:
        return create_app(backend, dialect, control_token=token)
    except ValueError as exc:
        p.error(f"control token: {exc}")


def _register(backend: Backend, option: str, project: str, *, first: bool) -> None:
    urn, sep, text = option.partition("=")
    if sep and looks_like_code(text):
        backend.register_function(urn, project_id=project, code=FunctionCode.parse(text))
        return
    urn, behaviour = split_function_option(option)
    # Without a behaviour, a function the store knows keeps the one it has there.
    backend.register_function(urn, project_id=project, behaviour=behaviour if first else None)


def _serve_workers(
    count: int, sock: socket.socket, limits: Limits, build: Callable[[], MockApp], recover: Callable[[int], int]
) -> None:
    """Pre-fork: each worker accepts on the one listening socket, with its own store connection and engine.

    State is in the shared file, so any worker answers alike. A worker that dies of a signal is replaced,
    and the runs it was running queue again (at least once: a run cut short runs again). SIGTERM or
    SIGINT to this process ends them all.
    """
    parent = os.getpid()
    children: dict[int, float] = {}  # pid -> when it started
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            # Not the parent's `stop`, which would end the sibling workers too: uvicorn re-raises the SIGTERM
            # it handled once it has shut down, and the worker then leaves normally (exit 0, not replaced).
            signal.signal(signal.SIGTERM, _leave)
            signal.signal(signal.SIGINT, _leave)
            try:
                threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
                serve_forever(build(), sock, limits)
            finally:
                os._exit(0)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        start()
    while children:
        pid, status = os.wait()
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        try:
            again = recover(pid)
        except Exception as exc:  # the store may be unusable now; the replacement will say so too
            again, note = 0, f" (its runs stay RUNNING until a restart: {_one_line(exc)})"
        else:
            note = ""
        # Only a worker killed by a signal is replaced: one that exits on its own (an error at start, a
        # SIGTERM it handled) would otherwise be restarted in a loop.
        killed = os.WIFSIGNALED(status)
        how = f"ended by {signal.Signals(os.WTERMSIG(status)).name}" if killed else "exited"
        print(
            f"fgs-mock: worker {pid} {how}; {again} of its runs queued again{note}; "
            + ("starting another" if killed else "not replaced"),
            file=sys.stderr,
            flush=True,
        )
        if killed:
            time.sleep(max(0.0, started + RESPAWN_PAUSE - time.monotonic()))  # dying at once: no busy loop
            if not stopping:
                start()


def _leave(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _exit_with_parent(parent: int) -> None:
    # A worker whose parent was killed (SIGKILL gives it no chance to stop them) must not keep the port.
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    from fgs.cli.entry import call

    raise SystemExit(call("fgs-mock", main))
