"""A function registered with code: where it is, how it is called, and its limits.

The text form is what `--function URN=path=DIR,handler=index.handler[,KEY=VALUE...]` takes. The spec
is stored as JSON beside canned behaviours, so every worker process on a shared store runs it alike.
Credentials are not part of it: they stay in the process that registered them (see `Pool.credentials`).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 3.0  # the service's default; the mock also takes less than its minimum of 3 s
MAX_TIMEOUT = 259_200.0
MAX_INITIALIZER_TIMEOUT = 300.0
DEFAULT_MEMORY = 128
DEFAULT_CPU = 1.0
MAX_CONCURRENCY = 1000
MAX_USER_DATA = 4096  # a key and its value together, as the service caps an environment variable
# FILE.FUNCTION, or sub/dir/FILE.FUNCTION: no absolute path, no "..".
_HANDLER = re.compile(r"(?:[A-Za-z0-9_-]+/)*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
# module:qualname, the fixture's form for an importable callable.
_IMPORTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
_USER_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_KEYS = ("path", "handler", "initializer", "timeout", "initializer_timeout", "memory", "cpu", "concurrency", "python")


@dataclass(frozen=True)
class FunctionCode:
    handler: str
    path: str = "."
    initializer: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    initializer_timeout: float = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    cpu: float = DEFAULT_CPU
    concurrency: int = 1
    python: str = field(default_factory=lambda: sys.executable)
    user_data: dict[str, str] = field(default_factory=dict, repr=False)  # values may be secrets
    # Extra import roots for a `module:qualname` handler: the registering process's sys.path.
    import_path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (_HANDLER.fullmatch(self.handler) or (self.import_path and _IMPORTED.fullmatch(self.handler))):
            raise ValueError("handler must be FILE.FUNCTION or sub/dir/FILE.FUNCTION")
        if self.initializer is not None and not _HANDLER.fullmatch(self.initializer):
            raise ValueError("initializer must be FILE.FUNCTION or sub/dir/FILE.FUNCTION")
        _seconds("timeout", self.timeout, MAX_TIMEOUT)
        _seconds("initializer_timeout", self.initializer_timeout, MAX_INITIALIZER_TIMEOUT)
        if type(self.memory) is not int or not 16 <= self.memory <= 65_536:
            raise ValueError("memory must be an integer number of MB within [16, 65536]")
        _seconds("cpu", self.cpu, 1024)
        if type(self.concurrency) is not int or not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be an integer within [1, {MAX_CONCURRENCY}]")
        if not Path(self.path).is_dir():
            raise ValueError("path must be a folder")
        object.__setattr__(self, "path", str(Path(self.path).resolve()))
        for key, value in self.user_data.items():
            check_user_data(key, value)

    @property
    def code_root(self) -> str:
        return self.path

    def with_user_data(self, key: str, value: str) -> FunctionCode:
        check_user_data(key, value)
        return FunctionCode(**{**self._fields(), "user_data": {**self.user_data, key: value}})

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def parse(cls, text: str) -> FunctionCode:
        """`path=DIR,handler=index.handler[,initializer=...,timeout=S,...]`."""
        found: dict[str, Any] = {}
        for pair in text.split(","):
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or key not in _KEYS:
                raise ValueError(f"{pair[:60]!r} is not one of {'=, '.join(_KEYS)}=")
            if key in found:
                raise ValueError(f"{key} is given twice")
            found[key] = value
        if "path" not in found or "handler" not in found:
            raise ValueError("code needs path= and handler=")
        for key in ("timeout", "initializer_timeout", "cpu"):
            if key in found:
                found[key] = _number(key, found[key], float)
        for key in ("memory", "concurrency"):
            if key in found:
                found[key] = _number(key, found[key], int)
        return cls(**found)

    def to_json(self) -> str:
        return json.dumps({"code": {**asdict(self), "import_path": list(self.import_path)}})

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> FunctionCode:
        code = dict(document["code"])
        code["import_path"] = tuple(code.get("import_path", ()))
        return cls(**code)


def code_of(text: str) -> FunctionCode | None:
    """The code a stored function document names, or None for a canned behaviour."""
    if '"code": {' not in text:  # a canned behaviour's "code" is an integer
        return None
    document = json.loads(text)
    return FunctionCode.from_document(document) if isinstance(document.get("code"), dict) else None


def looks_like_code(text: str) -> bool:
    """Whether `--function URN=TEXT` registers code rather than a canned behaviour."""
    return any(part.strip().startswith(("path=", "handler=")) for part in text.split(","))


def check_user_data(key: str, value: str) -> None:
    if not _USER_KEY.fullmatch(key):
        raise ValueError("a user data key is letters, digits and '_', starting with a letter")
    if key.upper().startswith("RUNTIME_"):
        raise ValueError("RUNTIME_* keys are the runtime's own")
    if len(key) + len(value) > MAX_USER_DATA:
        raise ValueError(f"a user data key and value take at most {MAX_USER_DATA} characters")


def split_user_data_option(option: str) -> tuple[str, str, str]:
    """`URN:KEY=VALUE`: split at the first "=", then at the last ":" before it (URNs hold colons)."""
    head, sep, value = option.partition("=")
    urn, colon, key = head.rpartition(":")
    if not sep or not colon or not urn:
        raise ValueError("takes URN:KEY=VALUE")
    check_user_data(key, value)
    return urn, key, value


def _number(key: str, text: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{key} takes a number") from None


def _seconds(name: str, value: float, high: float) -> None:
    if type(value) not in (int, float) or not (math.isfinite(value) and 0 < value <= high):
        raise ValueError(f"{name} must be a number within (0, {high:g}]")
