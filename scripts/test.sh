#!/usr/bin/env bash
# Command two: installs what is missing, builds the test configuration
# (debug, AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors)
# and runs the whole test suite: unit tests, tests against a real PostgreSQL
# that each test binary starts in a temporary directory, and integration tests
# driven by real clients (curl, awscli, botocore, grpcio) over loopback, and
# the libFuzzer targets of fuzz/ for 20 s each (FUZZ_SECONDS; label `fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> installing dependencies (Debian packages)"
scripts/install-deps.sh
echo "==> building (dev preset: ASan + UBSan)"
scripts/build.sh dev
echo "==> building the fuzz targets (fuzz preset: clang-14 + libFuzzer; ctest -L fuzz runs them)"
scripts/build.sh fuzz cloudlet_fuzz
echo "==> installing the OpenAPI validator the tests use (npm registry, locked versions)"
if [[ ! -d tests/openapi/node_modules/@seriousme/openapi-schema-validator ]]; then
  (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "==> running the test suite"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset dev -j "$(nproc 2>/dev/null || echo 2)" "$@"
