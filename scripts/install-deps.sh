#!/usr/bin/env bash
# Installs every build, run and test dependency of cloudlet from Debian 12
# packages. Idempotent: when everything is already present it only checks.
# The build itself never downloads anything.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format
  # the fuzz preset: clang with libFuzzer and the sanitizer runtimes, and
  # llvm-symbolizer (llvm-14) for readable sanitizer reports
  clang-14 libclang-rt-14-dev llvm-14
  # libraries (Boost 1.81: Asio/Beast are header-only; JSON and URL are separate packages)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpq-dev libssl-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev
  # the embedded database (initdb, pg_ctl, postgres, pgbench, psql; pg_trgm ships in postgresql-15)
  postgresql-15 postgresql-client-15
  # real clients the tests use as judges of compatibility
  curl awscli python3 python3-botocore python3-grpcio python3-grpc-tools
  # benchmarks
  wrk
)
# Node.js runs the OpenAPI validator of the test suite; any node >= 18 will
# do, so an existing one (e.g. from another repository) is kept.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql package would create and start a system cluster;
# cloudlet owns its own clusters, so keep the package from doing that.
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/cloudlet.conf
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
