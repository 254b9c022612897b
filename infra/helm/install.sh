#!/usr/bin/env bash
# Install the pinned Helm CLI with the Go toolchain, once, and print its path.
#
#   version  infra/helm/VERSION (the one place it is pinned)
#   binary   ${TAKITINI_CACHE:-~/.cache/takitini}/helm-<version>/helm
#
# Skips the build when that binary exists and reports the pinned version (the first
# build takes about six minutes on two cores). Logs go to stderr; the binary's path
# is the last line on stdout. Works from any directory. See ../go-tool.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-tool.sh
. "$HERE/../go-tool.sh"
VERSION="$(go_tool_version "$HERE/VERSION")"
MAJOR="${VERSION%%.*}"

reports_version() {
  local out
  out="$("$1" version --template '{{.Version}}' 2>/dev/null)" || return 1
  [ "$out" = "$2" ]
}

# go install leaves Helm's version unset (it then reports a placeholder); stamp it as Helm's Makefile does.
go_tool_install helm "$VERSION" "helm.sh/helm/$MAJOR/cmd/helm" reports_version "-X helm.sh/helm/$MAJOR/internal/version.version=$VERSION"
