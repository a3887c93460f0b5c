"""An instance's entry point: `python worker.py REQUEST_FD REPLY_FD LOG_PATH`, started fresh by the pool.

The standard library only, and Python 3.9+, so that `python=` may name another interpreter (the
service offers 3.9, 3.10 and 3.12). Requests and replies travel
on two private pipes as length-prefixed JSON frames, never on stdout: what the function prints goes to
a log file, bounded per run, that the pool reads after each run. The pool imports this module for the
framing; nothing runs on import.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import signal
import struct
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

MAX_FRAME = 1024 * 1024  # a reply is bounded below this: results over 256 KB are not sent
MAX_REQUEST = 2**31  # the mock's own requests carry whole events: bounded by what it accepts
MAX_RESULT = 262_144  # the async docs: a larger return value is recorded empty
MAX_MESSAGE = 4096
MAX_FRAMES = 50
MAX_TRACE = 65_536  # characters of stack trace kept, innermost frames first
HEAD = struct.Struct(">I")


def frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message).encode()
    return HEAD.pack(len(data)) + data


def write_frame(fd: int, message: dict[str, Any]) -> None:
    view = memoryview(frame(message))
    while view:
        view = view[os.write(fd, view) :]


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes, or None at end of file (the other side is gone)."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def read_frame(fd: int, limit: int = MAX_FRAME) -> dict[str, Any] | None:
    head = read_exactly(fd, HEAD.size)
    if head is None:
        return None
    (size,) = HEAD.unpack(head)
    if size > limit:
        raise ValueError("frame too large")
    data = read_exactly(fd, size)
    return None if data is None else dict(json.loads(data))


def error_record(exc: BaseException) -> dict[str, Any]:
    """The service's shape of a function error: errorMessage, errorType, stackTrace."""
    # The entry point's own frames are not the function's.
    own = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    frames = traceback.format_list(own[-MAX_FRAMES:])
    # JSON escapes a character in up to 12 bytes: a bound on characters keeps the reply under MAX_FRAME.
    lines: list[str] = []
    room = MAX_TRACE
    for frame_text in reversed(frames):
        line = frame_text.rstrip()[:MAX_MESSAGE]
        if len(line) > room:
            break
        lines.insert(0, line)
        room -= len(line)
    try:
        message = str(exc)
    except Exception:
        message = "<unprintable>"
    return {
        "errorMessage": message[:MAX_MESSAGE],
        "errorType": type(exc).__name__,
        "stackTrace": lines,
    }


class BoundedWriter(io.TextIOBase):
    """stdout and stderr of the function: appended to the log file until the run's cap, then dropped."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.cap = 0
        self.used = 0
        self.buffer = _Bytes(self)  # as sys.stdout.buffer: code that writes bytes works as on the service

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.write_bytes(str(text).encode("utf-8", "replace"))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        if self.used < self.cap:
            room = self.cap - self.used
            chunk = data[:room] if len(data) <= room else data[:room] + b"\n[output truncated]\n"
            os.write(self._fd, chunk)
        self.used += len(data)

    def isatty(self) -> bool:
        return False


class _Bytes(io.RawIOBase):
    def __init__(self, text: BoundedWriter) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._text.write_bytes(chunk)
        return len(chunk)


def _watch_parent(parent: int) -> None:
    # A mock that died (even by SIGKILL) must not leave its instances running, nor what they started:
    # the instance leads its own process group, which goes with it.
    while os.getppid() == parent:
        time.sleep(0.5)
    if os.getpgrp() == os.getpid():  # as the pool starts it; never a group of someone else's
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


class Instance:
    def __init__(self, config: dict[str, Any], out: BoundedWriter) -> None:
        self.config = config
        self.out = out
        here = str(Path(__file__).resolve().parent)
        spec = importlib.util.spec_from_file_location("_fgs_runtime_context", Path(here) / "context.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.context_class = module.Context
        sys.path[:] = [p for p in sys.path if p != here]
        sys.path.insert(0, config["code_root"])
        sys.path.extend(config.get("import_path", []))
        os.chdir(config["code_root"])

    def load(self, name: str) -> Any:
        if ":" in name:  # module:qualname
            module_name, _, qualname = name.partition(":")
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
            return target
        # sub/dir/FILE.FUNCTION imports sub.dir.FILE (folders as namespace packages), so that a file
        # of the same name elsewhere in the code does not shadow it; its folder is on sys.path last, for
        # the imports of its siblings.
        where, _, rest = name.rpartition("/")
        file, _, function = rest.rpartition(".")
        if where:
            folder = str(Path(self.config["code_root"]) / where)
            if folder not in sys.path:
                sys.path.append(folder)
        module = ".".join([*where.split("/"), file]) if where else file
        return getattr(importlib.import_module(module), function)

    def context(self, request_id: str, timeout: float) -> Any:
        return self.context_class(self.config, request_id, time.monotonic() + timeout, self.out)

    def initialize(self) -> dict[str, Any]:
        try:
            self.load(self.config["initializer"])(self.context("", self.config["initializer_timeout"]))
        except BaseException as exc:
            return {"ok": False, "error": error_record(exc), "oom": isinstance(exc, MemoryError)}
        return {"ok": True}

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            event = json.loads(request["event"])
            handler = self.load(self.config["handler"])
            result = handler(event, self.context(request["request_id"], self.config["timeout"]))
        except BaseException as exc:
            return {"ok": False, "error": error_record(exc), "oom": isinstance(exc, MemoryError)}
        try:
            text = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            problem = TypeError(f"the return value is not JSON: {exc}"[:MAX_MESSAGE])
            return {"ok": False, "error": error_record(problem), "oom": False}
        size = len(text.encode())
        return {"ok": True, "result": text if size <= MAX_RESULT else None, "size": size}


def main(argv: list[str]) -> None:
    request_fd, reply_fd, log_path = int(argv[1]), int(argv[2]), argv[3]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the mock is the mock's business
    with contextlib.suppress(OSError):
        os.nice(10)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    out = BoundedWriter(os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    sys.stdout = sys.stderr = out
    first = read_frame(request_fd, MAX_REQUEST)
    if first is None:
        return
    instance = Instance(first["config"], out)
    me = os.getpid()
    while True:
        request = read_frame(request_fd, MAX_REQUEST)
        if request is None:
            return
        out.cap, out.used = int(request.get("log_cap", 65536)), 0
        reply = instance.initialize() if request["op"] == "init" else instance.run(request)
        if os.getpid() != me:  # a child the function forked returned: only the instance answers
            os._exit(0)
        write_frame(reply_fd, reply)


if __name__ == "__main__":
    main(sys.argv)
