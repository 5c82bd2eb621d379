#!/usr/bin/env bash
# Installs every Debian package that building, running and testing pathpair needs.
# Idempotent: run it as often as you like; it only installs what is missing.
set -euo pipefail

packages=(
  # Toolchain and build.
  build-essential cmake pkg-config clang-format
  # RPC stack and core libraries.
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libabsl-dev
  libcli11-dev
  # Tests and benchmarks; clang's libFuzzer for the fuzz targets (tests/fuzz, -DPATHPAIR_FUZZ=ON).
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  # Optional features: privileges, async DNS, offline ASN data, run history, the screen.
  libcap-dev libc-ares-dev libmaxminddb-dev mmdb-bin libsqlite3-dev libncurses-dev
  nlohmann-json3-dev
  # Command-line flags of the subcommands (header-only).
  libcli11-dev
  # Integration tests: namespaces, firewall, the reference peer, terminal driving.
  iproute2 nftables mtr-tiny tmux procps python3
  # A gRPC client the project did not write: the authentication tests (generic calls) and the
  # Info calls of test_oneway_flood.py.
  python3-grpcio
  # Benchmarks (tests/bench): the wire's timestamps, peak RSS, the agent driver's messages.
  tcpdump time python3-protobuf
  # HTML report rendering check (headless).
  chromium
  # Operations (issue 11): the agent's /metrics over HTTP; the Debian package and its checks
  # (lintian, a fresh Debian 12 chroot with debootstrap); promtool and a real Prometheus server;
  # the Kubernetes manifest test (python3-yaml).
  libcpp-httplib-dev lintian debootstrap prometheus python3-yaml
  # Fleet mode (issue 12): pathpair serve's YAML config.
  libyaml-cpp-dev
  # Operator certificates (deploy/make-certs.sh); HMAC of one-way packets (OpenSSL's libcrypto,
  # which gRPC links anyway).
  openssl libssl-dev
  # The run store on PostgreSQL (fleet mode, issue 12): libpqxx and libpq; the server for its
  # tests (tests/common/pg_server.py: initdb + pg_ctl from /usr/lib/postgresql/15/bin).
  libpqxx-dev libpq-dev postgresql-15
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all ${#packages[@]} packages present"
