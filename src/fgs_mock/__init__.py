"""An embedded FunctionGraph async-invocation endpoint that behaves as the docs say.

`models` holds the state and `store` the accepted calls, `auth` the key pairs and IAM users;
`responses` is the HTTP layer, `control` the /_mock/ routes, `iam` the token route, `urls` the routing;
`protocol` and `server` run it on uvicorn.
"""

from fgs_mock.models import (
    DEFAULT_FUNCTION_URN,
    DEFAULT_PROJECT_ID,
    DEFAULT_TOKEN,
    Backend,
    FaultPlan,
)
from fgs_mock.protocol import Limits
from fgs_mock.responses import LENIENT, Dialect, MockApp, create_app
from fgs_mock.server import serve_in_thread
from fgs_mock.store import Counters, InMemoryInvocationStore, Invocation, InvocationStore, Page

__all__ = [
    "DEFAULT_FUNCTION_URN",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_TOKEN",
    "LENIENT",
    "Backend",
    "Counters",
    "Dialect",
    "FaultPlan",
    "InMemoryInvocationStore",
    "Invocation",
    "InvocationStore",
    "Limits",
    "MockApp",
    "Page",
    "create_app",
    "serve_in_thread",
]
