"""The `fgs` command: invocations from a shell, credentials from the environment (see `fgs --help`).

Exit status: 0 when everything was accepted, 1 when something failed or its outcome is unknown, 2 for a
usage error, 130 after Ctrl-C; `fgs wait` adds 124 for a run that did not end in time. User errors are
one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import fgs
from fgs._version import package_version
from fgs.cli import config, lifecycle, many
from fgs.cli.env import AUTH_TOKEN, ENDPOINT, PROJECT_ID, URN_HELP, ClientOptions, UsageError, client_options
from fgs.cli.journal import Journal
from fgs.cli.pipes import quiet_stdout
from fgs.fanout import DEFAULT_CONCURRENCY, Pacer

INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fgs.settings.switch_logging()
    # A flag beats its variable, which beats the SDK's alias: fgs.settings reads the merged mapping.
    flags = {ENDPOINT: getattr(args, "endpoint", None), PROJECT_ID: getattr(args, "project_id", None)}
    environ = {**os.environ, **{name: value for name, value in flags.items() if value}}
    try:
        return int(args.command(args, environ, sys.stdout, sys.stderr))
    except BrokenPipeError:
        return quiet_stdout()
    except (UsageError, fgs.InvalidRequestError) as exc:
        return _fail(exc, 2)
    except fgs.FgsError as exc:
        return _fail(exc, 1)
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to go on", INTERRUPTED)


def _fail(why: object, status: int) -> int:
    print(f"fgs: {why}", file=sys.stderr)
    return status


def invoke(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    payload = _data(args.data)
    with fgs.Client(**client_options(environ)) as client:
        out.write(client.invoke_async(args.function_urn, payload) + "\n")
    return 0


def invoke_many(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    options = client_options(environ)
    if str(args.events) == "-":
        if args.journal is None:
            raise UsageError("events from stdin (-) need --journal: a rerun finds what was sent there")
        with tempfile.TemporaryDirectory(prefix="fgs-") as scratch:
            # Spooled: the journal is checked against every line before the first call goes out.
            spooled = Path(scratch) / "stdin.jsonl"
            with spooled.open("wb") as copy:
                shutil.copyfileobj(sys.stdin.buffer, copy)
            return _invoke_many(args, options, spooled, args.journal, err, out)
    if args.events.is_dir():
        raise UsageError(f"{args.events} is a directory, not a file of events")
    if not args.events.is_file():
        raise UsageError(f"no such file: {args.events}")
    journal_path = args.journal or args.events.with_name(args.events.name + ".journal")
    return _invoke_many(args, options, args.events, journal_path, err, out)


def _invoke_many(
    args: argparse.Namespace, options: ClientOptions, events: Path, journal_path: Path, err: TextIO, out: TextIO
) -> int:
    pacer = Pacer(args.rate)  # the client's retry waits (429, 503, Retry-After) hold back every worker
    with (
        fgs.Client(**options, sleep=pacer.retry_sleep()) as client,  # first: a bad endpoint leaves no journal
        Journal(journal_path, args.function_urn) as journal,
    ):
        run = many.Run(events, journal, args.resend_unknown, err, retry_failed=args.retry_failed)
        try:
            return many.send_all(client, args.function_urn, run, concurrency=args.concurrency, pacer=pacer, out=out)
        except KeyboardInterrupt:
            # Counted from the journal, which holds every answer that arrived, as the rerun will see them.
            totals, (unknown, _) = journal.totals(), journal.unknown(0)
            err.write(
                f"fgs: interrupted; journal {journal.path}: {totals['accepted']} accepted, {totals['failed']} failed, "
                f"{unknown} unknown; run it again to go on\n"
            )
            return INTERRUPTED


def journal(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """The journal as JSON lines, to feed `fgs status` or `fgs wait` without sqlite3."""
    with Journal(args.path, None) as opened:
        for line, state, request_id, status, error in opened.rows():
            record = {"line": line, "state": state, "status": status, "request_id": request_id, "error": error}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _data(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {text[1:]}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return dict(many.parse(text.encode("utf-8")))
    except ValueError as exc:
        raise UsageError(f"--data is {exc}") from None


def _positive(kind: type[int] | type[float]) -> Any:
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive {kind.__name__}")
        return value

    return convert


def _all_subparsers(commands: Any, but: tuple[str, ...]) -> list[argparse.ArgumentParser]:
    """The subcommands that call the endpoint, nested ones (`fgs config get`) included."""
    found = []
    for name, sub in commands.choices.items():
        if name in but:
            continue
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        found += [child for action in nested for child in action.choices.values()] if nested else [sub]
    return found


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fgs",
        description="Invoke FunctionGraph functions asynchronously, and follow the invocations.",
        epilog=f"Settings come from {ENDPOINT} and {PROJECT_ID} (or --endpoint and --project-id), and one credential: "
        f"{AUTH_TOKEN}; or FGS_ACCESS_KEY and FGS_SECRET_KEY (and FGS_SECURITY_TOKEN); or FGS_IAM_ENDPOINT, "
        "FGS_DOMAIN, FGS_USER, FGS_PASSWORD and FGS_PROJECT_NAME. The official SDK's HUAWEICLOUD_SDK_* names "
        "stand in for unset ones. FGS_LOG=debug (or info) shows retries and logins on stderr, never a secret.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    one = commands.add_parser("invoke", help="queue one run; prints its request_id")
    one.add_argument("function_urn", metavar="URN", help=URN_HELP)
    one.add_argument("--data", default="{}", help="the event: a JSON object, or @FILE holding one (default {})")
    one.set_defaults(command=invoke)
    lots = commands.add_parser("invoke-many", help="queue one run per line of a JSONL file, journaled")
    lots.add_argument("function_urn", metavar="URN", help=URN_HELP)
    lots.add_argument("events", metavar="EVENTS.jsonl", type=Path, help="one JSON object per line; - reads stdin")
    lots.add_argument("--concurrency", type=_positive(int), default=DEFAULT_CONCURRENCY, help="calls in flight")
    lots.add_argument("--rate", type=_positive(float), help="at most this many calls per second")
    lots.add_argument("--journal", type=Path, help="SQLite journal (default EVENTS.jsonl.journal)")
    lots.add_argument(
        "--resend-unknown", action="store_true", help="send again the calls sent earlier that got no answer"
    )
    lots.add_argument(
        "--retry-failed",
        action="store_true",
        help="send again the lines refused with 401, 403, 429 or 503 (they started nothing)",
    )
    lots.set_defaults(command=invoke_many)
    shown = commands.add_parser("journal", help="print an invoke-many journal as JSON lines, one per input line")
    shown.add_argument("path", metavar="JOURNAL", type=Path, help="the journal invoke-many wrote")
    shown.set_defaults(command=journal)
    lifecycle.add_commands(commands, _positive)
    config.add_commands(commands, _data)
    for sub in _all_subparsers(commands, but=("journal",)):
        # SUPPRESS: a subcommand that was not given the flag leaves the attribute unset.
        sub.add_argument("--endpoint", default=argparse.SUPPRESS, help=f"base URL (default ${ENDPOINT})")
        sub.add_argument("--project-id", default=argparse.SUPPRESS, help=f"the project (default ${PROJECT_ID})")
    return parser
