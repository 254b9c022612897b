#!/usr/bin/env bash
# Install the pinned OPA CLI with the Go toolchain, once, and print its path.
#
#   version  infra/opa/VERSION (the one place it is pinned)
#   binary   ${TAKITINI_CACHE:-~/.cache/takitini}/opa-<version>/opa
#
# Skips the build when that binary exists and reports the pinned version. Logs go
# to stderr; the binary's path is the last line on stdout. Works from any directory.
# See ../go-tool.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-tool.sh
. "$HERE/../go-tool.sh"
VERSION="$(go_tool_version "$HERE/VERSION")"

# Read the whole output before matching: `opa version | grep -q` can fail under
# pipefail when grep exits early and opa dies of SIGPIPE.
reports_version() {
  local out
  out="$("$1" version 2>/dev/null)" || return 1
  case $'\n'"$out"$'\n' in
    *$'\n'"Version: ${2#v}"$'\n'*) return 0 ;;
    *) return 1 ;;
  esac
}

go_tool_install opa "$VERSION" github.com/open-policy-agent/opa reports_version
