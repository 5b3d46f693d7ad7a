#!/usr/bin/env bash
# Command one: installs what is missing, builds the release binary and runs
# every cloudlet service on one machine, on an embedded PostgreSQL under the
# data directory (default ./.cloudlet). Extra arguments go to `cloudlet up`,
# e.g. scripts/up.sh --data-dir /var/lib/cloudlet --gateway-listen 127.0.0.1:9080
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> installing dependencies (Debian packages)"
scripts/install-deps.sh
echo "==> building (release)"
scripts/build.sh release cloudlet
echo "==> starting cloudlet (Ctrl-C stops every service and the database)"
exec build/release/src/cli/cloudlet up "$@"
