"""`python -m fgs_mock`: serve the mock endpoint on loopback."""

from __future__ import annotations

import argparse
import os
import sys

from fgs_mock.models import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend
from fgs_mock.responses import LENIENT, Dialect, create_app
from fgs_mock.server import HOST, serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fgs-mock", description=__doc__)
    parser.add_argument("--host", default=HOST, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--function", action="append", default=[], metavar="URN", help="register another function")
    parser.add_argument("--fail-status", type=int, default=503, choices=(500, 503))
    parser.add_argument("--fail-next", type=int, default=0, metavar="N", help="the first N calls fail")
    parser.add_argument("--fail-share", type=float, default=0.0, metavar="P", help="then a share P of calls fail")
    parser.add_argument("--lenient", action="store_true", help="403 for bad tokens, extra error fields, charset")
    args = parser.parse_args(argv)

    project = os.environ.get("FGS_PROJECT_ID", DEFAULT_PROJECT_ID)
    backend = Backend.with_defaults(
        token=os.environ.get("FGS_AUTH_TOKEN", DEFAULT_TOKEN),
        project_id=project,
        function_urn=os.environ.get("FGS_FUNCTION_URN", DEFAULT_FUNCTION_URN),
    )
    for urn in args.function:
        backend.register_function(urn, project_id=project)
    backend.faults.set(status=args.fail_status, next_count=args.fail_next, share=args.fail_share)
    app = create_app(backend, LENIENT if args.lenient else Dialect())
    # The token is a secret even here: name the project and function, never the token.
    print(f"fgs-mock on http://{args.host}:{args.port} project={project}", file=sys.stderr)
    serve_forever(app, args.host, args.port)


if __name__ == "__main__":
    main()
