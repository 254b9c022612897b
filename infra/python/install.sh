#!/usr/bin/env bash
# The project's Python tools (requirements.txt: the OASIS STIX 2 validator, the TAXII 2
# client) in a virtual environment at <repo>/.takitini/venv (git-ignored). Idempotent:
# does nothing when the venv was built from this very requirements.txt (its sha256 is
# stamped in the venv), rebuilds it from scratch when the file changed. Installs Debian's
# python3 / python3-venv with apt-get when they are missing (as root, or with sudo).
# Concurrent runs wait for one build under a lock. Logs go to stderr; the venv's path is
# the only line on stdout.
#
#   bash infra/python/install.sh            # → /path/to/repo/.takitini/venv
#   TAKITINI_VENV=/elsewhere bash infra/python/install.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TAKITINI_VENV:-$root/.takitini/venv}"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

log() { echo "install.sh: $*" >&2; }
die() { log "$*"; exit 1; }

current() {
  [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    "$venv/bin/python" -c 'import stix2validator, taxii2client' 2>/dev/null
}

if current; then echo "$venv"; exit 0; fi

# Installs Debian packages: as root, or through sudo when it works without a password.
apt_install() {
  local as=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as=(sudo -n); else
      die "$* missing, and installing it needs root (apt-get install -y $*). Install it, or run this as root."
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "$* missing and there is no apt-get here: install Python 3.9+ with its venv module, then run this again."
  log "installing $* with apt-get"
  "${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  die "$(python3 --version 2>&1) is too old: the tools need Python 3.9 or later."
# Debian splits venv's pip bootstrap (ensurepip) into python3-venv (python3.X-venv).
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  [ "$(command -v python3)" = /usr/bin/python3 ] ||
    die "$(command -v python3) has no working venv module (import venv, ensurepip failed); install it for that Python, or put Debian's python3 first on the PATH."
  minor="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  apt_install python3-venv "python$minor-venv"
  python3 -c 'import venv, ensurepip' || die "python3 -m venv still unavailable after installing python3-venv"
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
# Another run may have built it while this one waited.
if current; then echo "$venv"; exit 0; fi

log "building $venv with $(python3 --version 2>&1) from $requirements (first run, or requirements changed)"
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$requirements" >&2
"$venv/bin/python" -c 'import stix2validator, taxii2client' || die "the venv at $venv cannot import stix2validator and taxii2client"
echo "$want" >"$stamp"
log "ready: $("$venv/bin/python" -c 'import stix2validator; print("stix2-validator", stix2validator.__version__)')"
echo "$venv"
