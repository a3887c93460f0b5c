#!/bin/sh
# Hold an endpoint to the documented contract, as a CI step; the exit status is the verdict
# (0 conformant, 1 contract broken, 2 usage error, 3 cannot test).
#
#   pip install 'fgs-async-contract[conformance]'
#   FGS_ENDPOINT=https://gateway.example.com FGS_PROJECT_ID=... FGS_FUNCTION_URN=... \
#   FGS_AUTH_TOKEN=... examples/conformance_ci.sh
#
# Without FGS_ENDPOINT the suite checks its embedded mock. The token is read from the environment only.
set -eu
reports="${REPORTS_DIR:-.}"
mkdir -p "$reports"
exec fgs-conformance --max-invocations "${FGS_MAX_INVOCATIONS:-25}" \
    --junit-xml "$reports/conformance.xml" --report "$reports/conformance.md"
