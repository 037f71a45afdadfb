#!/usr/bin/env bash
# Runs the whole test suite: installs the real servers and tools the tests start (Debian/Ubuntu
# packages) when they are missing, then builds every module and runs unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEEDED=(
  [promtool]=prometheus
  [curl]=curl
  [openssl]=openssl
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

./mvnw -B -ntp verify "$@"
