# Sourced by the installers of the project's Go-built CLIs (opa/install.sh, helm/install.sh):
# build a pinned tool with the Go toolchain into the shared cache, once, and print its path.
#
#   go_tool_install NAME VERSION PACKAGE CHECK [LDFLAGS]
#
# NAME     the tool, e.g. opa; the binary is ${TAKITINI_CACHE:-~/.cache/takitini}/NAME-VERSION/NAME
# VERSION  the pinned version (vX.Y.Z, from the tool's VERSION file)
# PACKAGE  what `go install PACKAGE@VERSION` builds
# CHECK    a function the caller defines: `CHECK BIN VERSION` succeeds when BIN reports VERSION
# LDFLAGS  optional `go install -ldflags`
#
# Skips the build when the binary is there and passes CHECK; concurrent runs wait for one
# build under a lock. Logs go to stderr; the binary's path is the last line on stdout.

go_tool_version() {
  local file="$1" version
  version="$(tr -d '[:space:]' <"$file")"
  case "$version" in
    v[0-9]*.[0-9]*.[0-9]*) echo "$version" ;;
    *) echo "install.sh: $file must hold a version like v1.2.3 (got '$version')" >&2; return 1 ;;
  esac
}

go_tool_install() {
  local name="$1" version="$2" package="$3" check="$4" ldflags="${5:-}"
  local dir="${TAKITINI_CACHE:-$HOME/.cache/takitini}/$name-$version"
  local bin="$dir/$name"
  if [ -x "$bin" ] && "$check" "$bin" "$version"; then echo "$bin"; return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
install.sh: $name $version is not installed at $bin, and building it needs the Go
toolchain, which is not on the PATH. Install Go (https://go.dev/dl/, or your package
manager's golang package) and run this again, or put a $name $version binary at $bin.
MSG
    return 1
  fi
  mkdir -p "$dir"
  exec 9>"$dir/.install.lock"
  flock 9
  # Another run may have built it while this one waited.
  if [ -x "$bin" ] && "$check" "$bin" "$version"; then echo "$bin"; return 0; fi
  echo "install.sh: building $name $version with $(go version) into $dir (first run only; a few minutes)" >&2
  CGO_ENABLED=0 GOBIN="$dir" go install ${ldflags:+-ldflags "$ldflags"} "$package@$version" >&2
  "$check" "$bin" "$version" || { echo "install.sh: $bin does not report version $version after go install" >&2; return 1; }
  echo "$bin"
}
