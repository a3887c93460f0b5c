"""`fgs config get|put|delete URN`: a function's async settings, as JSON in the pages' own field names."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import fgs
from fgs.cli.env import URN_HELP, UsageError, client_options

Reader = Callable[[str], Mapping[str, Any]]


def _show(config: fgs.AsyncConfig, out: TextIO) -> None:
    # The request's fields, and what only the service sets, as the pages name them.
    record: dict[str, Any] = config.to_request() if _in_request_ranges(config) else _answer_fields(config)
    record["func_urn"] = config.function_urn
    record["created_time"] = config.created_time.isoformat() if config.created_time else None
    record["last_modified"] = config.last_modified.isoformat() if config.last_modified else None
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _in_request_ranges(config: fgs.AsyncConfig) -> bool:
    try:
        config.to_request()
    except fgs.InvalidRequestError:
        return False
    return True


def _answer_fields(config: fgs.AsyncConfig) -> dict[str, Any]:
    # An answer may hold values a request may not set (retries up to 8): shown as they are.
    wide = fgs.AsyncConfig(on_success=config.on_success, on_failure=config.on_failure)
    record = wide.to_request()
    record["max_async_retry_attempts"] = config.max_retry_attempts
    record["max_async_event_age_in_seconds"] = config.max_event_age_seconds
    record["enable_async_status_log"] = config.enable_async_status_log
    return record


def get(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        _show(client.get_async_config(args.function_urn), out)
    return 0


def put(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    try:
        config = fgs.AsyncConfig.from_dict(args.read_data(args.data))
    except fgs.ProtocolError as exc:  # the reader of answers speaks of "the answer": here it is the user's
        raise UsageError(f"--data: {exc}") from None
    with fgs.Client(**client_options(environ)) as client:
        _show(client.put_async_config(args.function_urn, config), out)
    return 0


def delete(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    with fgs.Client(**client_options(environ)) as client:
        client.delete_async_config(args.function_urn)
    return 0


def add_commands(commands: Any, read_data: Reader) -> None:
    """`fgs config` with its three subcommands, on the `fgs` parser's subparsers."""
    config = commands.add_parser("config", help="get, put or delete a function's async settings")
    actions = config.add_subparsers(title="actions", required=True, metavar="ACTION")
    for name, command, text in (
        ("get", get, "print the settings as one JSON object"),
        ("put", put, "set them; prints them as the service stored them"),
        ("delete", delete, "remove them: the service's defaults apply"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("function_urn", metavar="URN", help=URN_HELP)
        sub.set_defaults(command=command, read_data=read_data)
        if name == "put":
            sub.add_argument(
                "--data",
                required=True,
                help='the settings as JSON, or @FILE: e.g. {"max_async_retry_attempts": 2, '
                '"max_async_event_age_in_seconds": 600}',
            )
