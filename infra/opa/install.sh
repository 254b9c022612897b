#!/usr/bin/env bash
# Install the pinned OPA CLI with the Go toolchain (cached) and print its path.
# Version: infra/opa/VERSION. Cache: ${TAKITINI_CACHE:-~/.cache/takitini}/opa-<version>/opa.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="$(tr -d '[:space:]' < "$HERE/VERSION")"
DIR="${TAKITINI_CACHE:-$HOME/.cache/takitini}/opa-$VERSION"
BIN="$DIR/opa"
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -qx "Version: ${VERSION#v}"; then
  echo "$BIN"; exit 0
fi
command -v go >/dev/null 2>&1 || { echo "install.sh: the Go toolchain is required to build OPA $VERSION (go install)" >&2; exit 1; }
echo "installing OPA $VERSION with go install (first run only; takes a minute or two)" >&2
mkdir -p "$DIR"
CGO_ENABLED=0 GOBIN="$DIR" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@$VERSION" >&2
"$BIN" version | grep -qx "Version: ${VERSION#v}" || { echo "install.sh: $BIN does not report version $VERSION" >&2; exit 1; }
echo "$BIN"
