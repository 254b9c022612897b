#!/usr/bin/env bash
# Install the pinned OPA CLI with the Go toolchain, once, and print its path.
#
#   version  infra/opa/VERSION (the one place it is pinned)
#   binary   ${TAKITINI_CACHE:-~/.cache/takitini}/opa-<version>/opa
#
# Skips the build when that binary exists and reports the pinned version. Logs go
# to stderr; the binary's path is the last line on stdout. Works from any directory.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="$(tr -d '[:space:]' <"$HERE/VERSION")"
case "$VERSION" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "install.sh: $HERE/VERSION must hold a version like v1.22.2 (got '$VERSION')" >&2; exit 1 ;;
esac
DIR="${TAKITINI_CACHE:-$HOME/.cache/takitini}/opa-$VERSION"
BIN="$DIR/opa"

# Read the whole output before matching: `opa version | grep -q` can fail under
# pipefail when grep exits early and opa dies of SIGPIPE.
reports_version() {
  local out
  [ -x "$BIN" ] && out="$("$BIN" version 2>/dev/null)" || return 1
  case $'\n'"$out"$'\n' in
    *$'\n'"Version: ${VERSION#v}"$'\n'*) return 0 ;;
    *) return 1 ;;
  esac
}

if reports_version; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<EOF
install.sh: OPA $VERSION is not installed at $BIN, and building it needs the Go
toolchain, which is not on the PATH. Install Go (https://go.dev/dl/, or your package
manager's golang package) and run this again, or put an OPA $VERSION binary at $BIN.
EOF
  exit 1
fi

echo "install.sh: building OPA $VERSION with $(go version) into $DIR (first run only; a minute or two)" >&2
mkdir -p "$DIR"
CGO_ENABLED=0 GOBIN="$DIR" go install "github.com/open-policy-agent/opa@$VERSION" >&2
reports_version || { echo "install.sh: $BIN does not report version $VERSION after go install" >&2; exit 1; }
echo "$BIN"
