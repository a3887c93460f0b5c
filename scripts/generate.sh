#!/usr/bin/env bash
# Regenerate the typed client from spec/openapi.yaml into OUT (default generated/fgs_client).
# The generator writes into a scratch folder first so a failed run never leaves a half-built package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/generated/fgs_client}
bin=${VENV_BIN:-$root/.venv/bin}
spec=${SPEC:-$root/spec/openapi.yaml}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The post-hooks call `ruff` by name: it must be the pinned one from the venv.
PATH="$bin:$PATH" "$bin/openapi-python-client" generate \
  --path "$spec" --config "$root/spec/generator.yaml" \
  --meta none --output-path "$scratch/fgs_client" --overwrite --fail-on-warning >/dev/null
# --meta none skips the PEP 561 marker; without it mypy ignores the package's types.
: > "$scratch/fgs_client/py.typed"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$scratch/fgs_client" "$out"
