"""The context a handler gets, with the methods of the service's Python context table.

Loaded by the instance's entry point (worker.py) from its file: the standard library only, and Python
3.9+, because an instance may run on another interpreter than the mock's.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, TextIO


class Logger:
    """`context.getLogger()`: each line carries the time, the request id and the level."""

    def __init__(self, request_id: str, out: TextIO) -> None:
        self._request_id = request_id
        self._out = out

    def _line(self, level: str, message: Any) -> None:
        # timezone.utc, not datetime.UTC: an instance may run on Python 3.9 or 3.10, as the service offers.
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: UP017
        self._out.write(f"{now} {self._request_id} {level} {message}\n")

    def info(self, message: Any) -> None:
        self._line("INFO", message)

    def warn(self, message: Any) -> None:
        self._line("WARN", message)

    def error(self, message: Any) -> None:
        self._line("ERROR", message)

    def debug(self, message: Any) -> None:
        self._line("DEBUG", message)


class Context:
    """What the service passes as `context`; getters named as in its table (camelCase on purpose)."""

    def __init__(self, config: dict[str, Any], request_id: str, deadline: float, out: TextIO) -> None:
        self._config = config
        self._request_id = request_id
        self._deadline = deadline  # time.monotonic() at which the run times out
        self._logger = Logger(request_id, out)

    def __repr__(self) -> str:  # the credentials stay out
        return f"Context(request_id={self._request_id!r}, function={self._config['name']!r})"

    def getRequestID(self) -> str:
        return self._request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def getRunningTimeInSeconds(self) -> float:
        timeout = self._config["timeout"]
        return int(timeout) if float(timeout).is_integer() else float(timeout)

    def getUserData(self, key: str, default: Any = None) -> Any:
        return self._config["user_data"].get(key, default)

    def getFunctionName(self) -> str:
        return str(self._config["name"])

    def getVersion(self) -> str:
        return str(self._config["version"])

    def getPackage(self) -> str:
        return str(self._config["package"])

    def getAlias(self) -> str:
        return str(self._config["alias"])

    def getProjectID(self) -> str:
        return str(self._config["project_id"])

    def getMemorySize(self) -> int:
        return int(self._config["memory"])

    def getCPUNumber(self) -> float:
        cpu = float(self._config["cpu"])
        return int(cpu) if cpu.is_integer() else cpu

    def getLogger(self) -> Logger:
        return self._logger

    def _credential(self, key: str) -> str:
        return str(self._config["credentials"].get(key, ""))

    def getAccessKey(self) -> str:
        return self._credential("access_key")

    def getSecretKey(self) -> str:
        return self._credential("secret_key")

    def getSecurityAccessKey(self) -> str:
        return self._credential("security_access_key")

    def getSecuritySecretKey(self) -> str:
        return self._credential("security_secret_key")

    def getSecurityToken(self) -> str:
        return self._credential("security_token")

    def getToken(self) -> str:
        return self._credential("token")
