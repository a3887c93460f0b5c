"""An embedded FunctionGraph async-invocation endpoint that behaves as the docs say.

`models` holds the state, `responses` the HTTP layer, `urls` the routing, `server` the uvicorn glue.
"""

from fgs_mock.models import (
    DEFAULT_FUNCTION_URN,
    DEFAULT_PROJECT_ID,
    DEFAULT_TOKEN,
    Backend,
    FaultPlan,
    InMemoryInvocationStore,
    Invocation,
    InvocationStore,
)
from fgs_mock.responses import LENIENT, Dialect, MockApp, create_app
from fgs_mock.server import serve_in_thread

__all__ = [
    "DEFAULT_FUNCTION_URN",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_TOKEN",
    "LENIENT",
    "Backend",
    "Dialect",
    "FaultPlan",
    "InMemoryInvocationStore",
    "Invocation",
    "InvocationStore",
    "MockApp",
    "create_app",
    "serve_in_thread",
]
