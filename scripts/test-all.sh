#!/usr/bin/env bash
# Runs the whole test suite: installs the real servers and tools the tests start (Debian/Ubuntu
# packages) when they are missing, then builds every module and runs unit and integration tests,
# then builds and tests the example plugin (examples/hello-plugin) against the installed modules.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEEDED=(
  [promtool]=prometheus
  [curl]=curl
  [openssl]=openssl
  [redis-server]=redis-server
  [etcd]=etcd-server
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
if ((${#missing[@]})); then
  echo "installing test dependencies: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# `install` runs every module's verify and then installs the artifacts the example plugin builds on.
./mvnw -B -ntp install "$@"

# The example third-party plugin, built outside the reactor against the installed artifacts.
version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)
(cd examples/hello-plugin && ../../mvnw -B -ntp verify -Dplugmesh.version="$version")
