#!/usr/bin/env bash
# Fail when generated/fgs_client differs from what the spec (SPEC, default spec/openapi.yaml) produces now.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
committed=${1:-$root/generated/fgs_client}
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$root/scripts/generate.sh" "$fresh/fgs_client"
if ! diff -r -x __pycache__ "$committed" "$fresh/fgs_client"; then
  echo "generated client is stale: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated client matches spec/openapi.yaml"
