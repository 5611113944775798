#!/usr/bin/env bash
# Installs every Debian 12 package Meridian needs to build, test and run the demo.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ make cmake ccache pkg-config git clang libclang-rt-14-dev
  # libraries (Boost 1.81, not 1.74: 1.74 breaks C++20 coroutines on g++ 12)
  libboost1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  nlohmann-json3-dev prometheus-cpp-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libzookeeper-mt-dev libssl-dev libspdlog-dev libcli11-dev
  libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
  # real peers used by tests and the demo
  zookeeperd default-jre-headless prometheus kcat wrk curl iproute2 procps
  python3 python3-kafka python3-lz4 python3-snappy python3-zstandard python3-requests
  python3-confluent-kafka
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js + npm for the kafkajs client test. A machine may already carry a newer Node.js
# from another source (which bundles npm and conflicts with Debian's npm): keep it then.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# zookeeperd and prometheus ship services; we run our own instances, never the system ones.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
