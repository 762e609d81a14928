#!/bin/sh
# Install the Debian packages kuzat needs, when any is missing.
# Used by `make test`, `make demo` and .ci/run. Extra package names given as
# arguments are installed too (e.g. scripts/deps.sh valgrind).
# Runs apt-get as root, through sudo otherwise, or says what to run.
set -eu

PKGS="build-essential pkg-config libicu-dev zlib1g-dev libdeflate-dev libjansson-dev libxxhash-dev libsvm-dev gzip $*"

if ! command -v dpkg-query >/dev/null 2>&1; then
  if pkg-config --exists icu-uc icu-i18n zlib libdeflate jansson libxxhash 2>/dev/null; then
    exit 0
  fi
  echo "kuzat: this is not a Debian system; install ICU, zlib, libdeflate, jansson, xxHash and libsvm" >&2
  echo "  development packages and pkg-config, then run make again." >&2
  exit 1
fi

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "kuzat: missing Debian packages:$missing" >&2
  echo "  run as root: apt-get update && apt-get install -y$missing" >&2
  exit 1
fi

echo "kuzat: installing missing Debian packages:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
