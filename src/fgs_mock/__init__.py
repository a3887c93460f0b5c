"""An embedded FunctionGraph async-invocation endpoint that behaves as the docs say.

`models` holds the state and `store` the accepted calls, `auth` the key pairs and IAM users;
`responses` is the HTTP layer, `control` the /_mock/ routes, `iam` the token route, `urls` the routing;
`dialects` says how it answers where the docs leave a choice; `protocol` and `server` run it on
uvicorn; `testing` is the test double (`running()`, and the `fgs_mock` pytest fixture of `pytest_plugin`).

The names below load on first use, so that `fgs_mock.pytest_plugin` imports without the server stack
(a client-only install has no uvicorn).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fgs_mock.behaviour import Behaviour
    from fgs_mock.dialects import Dialect
    from fgs_mock.models import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, FaultPlan
    from fgs_mock.protocol import Limits
    from fgs_mock.responses import LENIENT, MockApp, create_app
    from fgs_mock.server import serve_in_thread
    from fgs_mock.store import Counters, InMemoryInvocationStore, Invocation, InvocationStore, Page, SqliteStore
    from fgs_mock.testing import running

    __version__: str

_HOMES = {
    "behaviour": ("Behaviour",),
    "models": ("DEFAULT_FUNCTION_URN", "DEFAULT_PROJECT_ID", "DEFAULT_TOKEN", "Backend", "FaultPlan"),
    "protocol": ("Limits",),
    "dialects": ("Dialect",),
    "responses": ("LENIENT", "MockApp", "create_app"),
    "server": ("serve_in_thread",),
    "store": ("Counters", "InMemoryInvocationStore", "Invocation", "InvocationStore", "Page", "SqliteStore"),
    "testing": ("running",),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from fgs._version import package_version

        return package_version()
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'fgs_mock' has no attribute {name!r}")
    value = getattr(import_module(f"fgs_mock.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_FUNCTION_URN",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_TOKEN",
    "LENIENT",
    "Backend",
    "Behaviour",
    "Counters",
    "Dialect",
    "FaultPlan",
    "InMemoryInvocationStore",
    "Invocation",
    "InvocationStore",
    "Limits",
    "MockApp",
    "Page",
    "SqliteStore",
    "__version__",
    "create_app",
    "running",
    "serve_in_thread",
]
