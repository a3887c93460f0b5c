"""Dialects: the answers an endpoint gives where the docs leave a choice, as data.

A dialect is a profile (JSON, `profile.schema.json`): built in (`documented`, `gateway`, `lenient`) or
recorded from a real endpoint by `fgs-conformance --profile`. Whatever a profile leaves unknown (null)
keeps the documented choice. The HTTP layer asks the dialect which status, code, keys and headers to
answer; a new dialect is a new file, never a new branch in the code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fgs.error_codes import ERROR_CODES
from fgs_mock import ids

BUILT_IN = ("documented", "gateway", "lenient")
FORMAT, VERSION = "fgs-dialect-profile", 1
SITUATIONS = (
    "no-token",
    "wrong-token",
    "refused-signature",
    "other-project-in-path",
    "other-project-in-urn",
    "malformed-urn",
    "unknown-function",
    "unknown-version",
    "unknown-alias",
    "missing-body",
    "invalid-json",
    "not-an-object",
    "wrong-media-type",
    "oversized-body",
    "too-deep",
    "undeclared-method",
    "unknown-route",
    "cancel-unknown",
    "cancel-finished",
    "limit-above-maximum",
)
PENDING_FIELDS = ("error_code", "error_message", "start_time", "end_time")
# How a time of the config is written, by the shape of the page's own examples.
TIME_FORMATS = {
    "T": "%Y-%m-%dT%H:%M:%S",
    "T-offset": "%Y-%m-%dT%H:%M:%S+00:00",
    "T-Z": "%Y-%m-%dT%H:%M:%SZ",
    "space": "%Y-%m-%d %H:%M:%S",
    "space-offset": "%Y-%m-%d %H:%M:%S+00:00",
}
_REFUSED = "The request was refused."


class DialectError(ValueError):
    """A profile that is not JSON, or not valid against the schema: the message is one line."""


@dataclass(frozen=True)
class Answer:
    status: int
    error_code: str | None
    keys: tuple[str, ...]
    allow: bool = False
    error_msg: str | None = None

    @property
    def accepts(self) -> bool:
        return self.status < 300


def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files(__name__).joinpath("profile.schema.json").read_text("utf-8"))
    return data


@cache
def _validator() -> Any:
    # Imported on first use: a dialect is loaded once per mock, and jsonschema costs an import.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def validate(profile: object) -> None:
    """Raise DialectError naming the first place where `profile` breaks the schema."""
    error = next(iter(sorted(_validator().iter_errors(profile), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise DialectError(f"not a dialect profile: at {where}: {error.message[:200]}")


def _builtin_profile(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))
    return data


def load(source: str | Path) -> Dialect:
    """A built-in dialect by name, or a profile file by path; DialectError when it cannot be served."""
    if isinstance(source, str) and source in BUILT_IN:
        return builtin(source)
    path = Path(source)
    try:
        profile = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise DialectError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DialectError(f"{path} is not JSON: {exc}") from None
    return Dialect(profile)


@cache
def builtin(name: str) -> Dialect:
    if name not in BUILT_IN:
        raise DialectError(f"no built-in dialect {name!r}; there are {', '.join(BUILT_IN)}")
    return Dialect(_builtin_profile(name))


class Dialect:
    """One profile served: each choice the profile leaves unknown is the documented one."""

    def __init__(self, profile: Mapping[str, Any] | None = None) -> None:
        documented = _builtin_profile("documented")
        if profile is None:
            profile = documented
        validate(profile)
        self.name: str = profile["name"]
        self.profile: Mapping[str, Any] = profile
        self.answers = {
            situation: _answer(profile["answers"].get(situation) or documented["answers"][situation])
            for situation in SITUATIONS
        }

        def pick(section: str, key: str) -> Any:
            value = profile[section][key]
            return documented[section][key] if value is None else value

        self.request_id_format: str = profile["request_id"] or documented["request_id"]
        self.content_type: bytes = pick("headers", "content_type").encode()
        x_request_id = pick("headers", "x_request_id")
        self.x_request_id: str | None = None if x_request_id == "absent" else x_request_id
        self.max_limit: int = pick("query", "max_limit")
        self.newest_first: bool = pick("query", "order") == "newest-first"
        pending = profile["query"]["pending"]
        self.pending: dict[str, str] = {
            name: pending.get(name) or documented["query"]["pending"][name] for name in PENDING_FIELDS
        }
        self.time_formats = {name: TIME_FORMATS[pick("config", name)] for name in ("created_time", "last_modified")}
        self.max_bytes: int = pick("bodies", "max_bytes")
        self.max_depth: int = pick("bodies", "max_depth")

    def __repr__(self) -> str:
        return f"Dialect({self.name!r})"

    @property
    def bad_token_status(self) -> int:
        return self.answers["wrong-token"].status

    def new_id(self) -> str:
        return self.external_id(ids.uuid7())

    def external_id(self, request_id: str) -> str:
        """A run id as this dialect writes it."""
        return request_id.replace("-", "") if self.request_id_format == "hex32" else request_id

    def internal_id(self, request_id: str) -> str:
        """A run id as the store keeps it, from either form; any other value passes unchanged."""
        if self.request_id_format == "hex32" and len(request_id) == 32:
            try:
                return str(uuid.UUID(hex=request_id))
            except ValueError:
                return request_id
        return request_id

    def error_body(self, answer: Answer, request_id: str | None, *, message: str | None = None) -> bytes:
        """The JSON error body the answer names, or none when it names no code."""
        if answer.error_code is None and not answer.keys:
            return b""
        listed = ERROR_CODES.get(answer.error_code or "")
        body: dict[str, object] = {}
        for key in answer.keys or ("error_code", "error_msg"):
            if key == "error_code":
                body[key] = answer.error_code
            elif key == "error_msg":
                body[key] = message or answer.error_msg or (listed.message if listed else _REFUSED)
            elif key == "request_id":
                body[key] = request_id or self.new_id()
            elif key == "error_detail":
                body[key] = {"source": "fgs-mock", "status": answer.status}
            else:
                body[key] = ""  # a key the endpoint sends, whose value a profile does not keep
        return json.dumps(body).encode()


def _answer(data: Mapping[str, Any]) -> Answer:
    return Answer(
        status=data["status"],
        error_code=data["error_code"],
        keys=tuple(data["keys"]),
        allow=bool(data.get("allow", False)),
        error_msg=data.get("error_msg"),
    )
