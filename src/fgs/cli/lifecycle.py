"""`fgs status`, `fgs wait`, `fgs cancel` and `fgs list`: following invocations from a shell.

One line per invocation, tab-separated (request_id, status, start, end, error code, error message; "-"
where there is none), or with --json one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

import fgs
from fgs.cli.env import URN_HELP, client_options

# wait: the run ended but did not succeed, or it did not end in time (as GNU timeout(1) says it).
NOT_SUCCESS, TIMED_OUT = 1, 124


def status(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        _show(client.get_invocation(args.function_urn, args.request_id), args.json, out)
    return 0


def wait(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        try:
            ended = client.wait(args.function_urn, args.request_id, timeout=args.timeout, poll=args.poll)
        except fgs.WaitTimeoutError as exc:
            err.write(f"fgs: {exc}\n")
            return TIMED_OUT
    _show(ended, args.json, out)
    return 0 if ended.status is fgs.InvocationStatus.SUCCESS else NOT_SUCCESS


def cancel(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        client.cancel_invocation(args.function_urn, args.request_id)
    return 0


def listing(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        for invocation in client.list_invocations(
            args.function_urn, status=args.status, since=args.since, until=args.until
        ):
            _show(invocation, args.json, out)
    return 0


def _show(invocation: fgs.Invocation, as_json: bool, out: TextIO) -> None:
    record: dict[str, Any] = {
        "request_id": invocation.request_id,
        "status": invocation.status.value,
        "start_time": invocation.start_time.isoformat() if invocation.start_time else None,
        "end_time": invocation.end_time.isoformat() if invocation.end_time else None,
        "error_code": invocation.error_code,
        "error_message": invocation.error_message,
    }
    if as_json:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        # A tab or newline in a message would break the one-line, one-record promise.
        fields = ("-" if v is None else " ".join(str(v).split()) for v in record.values())
        out.write("\t".join(fields) + "\n")
    out.flush()


def _moment(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is UTC, as the query page's times are."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time (e.g. 2026-11-30T12:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def add_commands(commands: Any, positive: Any) -> None:
    """Registers the four subcommands on the `fgs` parser's subparsers."""
    helps = {
        "status": (status, "print one invocation's status line"),
        "wait": (wait, "poll until the invocation ends; exit 0 on SUCCESS, 1 on FAIL or DISCARD, 124 on timeout"),
        "cancel": (cancel, "stop an invocation (and, as the service does, the function's other requests)"),
    }
    for name, (command, text) in helps.items():
        sub = commands.add_parser(name, help=text)
        sub.add_argument("function_urn", metavar="URN", help=URN_HELP)
        sub.add_argument("request_id", metavar="REQUEST_ID", help="the request_id that invoke printed")
        sub.set_defaults(command=command)
        if name != "cancel":
            sub.add_argument("--json", action="store_true", help="one JSON object instead of a tab-separated line")
        if name == "wait":
            sub.add_argument("--timeout", type=positive(float), default=60.0, help="seconds to wait (default 60)")
            sub.add_argument("--poll", type=positive(float), default=0.5, help="first poll interval (default 0.5)")
    many = commands.add_parser("list", help="print the function's invocations, one line each, newest first")
    many.add_argument("function_urn", metavar="URN", help=URN_HELP)
    many.add_argument("--status", choices=[s.value for s in fgs.InvocationStatus], help="only this status")
    many.add_argument("--since", type=_moment, help="from this time (ISO 8601; UTC without an offset)")
    many.add_argument("--until", type=_moment, help="up to this time (ISO 8601; UTC without an offset)")
    many.add_argument("--json", action="store_true", help="one JSON object per line")
    many.set_defaults(command=listing)
