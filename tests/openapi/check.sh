#!/usr/bin/env bash
# ctest entry: validates the OpenAPI document the gateway serves at
# /openapi.json (printed by `cloudlet openapi`) with an independent validator.
# scripts/test.sh installs the validator from the npm registry (npm ci).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cloudlet=${1:?usage: check.sh path/to/cloudlet}
if [[ ! -d $here/node_modules/@seriousme/openapi-schema-validator ]]; then
  echo "the validator is not installed: run (cd tests/openapi && npm ci)" >&2
  exit 1
fi
doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
"$cloudlet" openapi > "$doc"
node "$here/validate.mjs" "$doc"
