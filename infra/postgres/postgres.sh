#!/usr/bin/env bash
# A throwaway PostgreSQL cluster from Debian's `postgresql` package.
#
#   postgres.sh install                       install the package if no server binaries are found (root only)
#   postgres.sh bindir                        print the server's bin directory
#   postgres.sh start [--dir D] [--port N] [-c name=value]...
#                                             initdb into D (default: a new /tmp/takitini-pg.XXXXXX) — or, when D
#                                             already holds a cluster this script made, start that one — listen
#                                             on 127.0.0.1:N only (default 55432), start; prints key=value lines:
#                                             url, port, dir, pid, log
#   postgres.sh stop --dir D [--remove]       fast shutdown; --remove deletes D afterwards
#   postgres.sh status --dir D                exit 0 if running (prints pid), 3 if not
#
# PostgreSQL refuses to run as root: as root the cluster is owned by and runs as the
# `postgres` system user the package creates; otherwise as the current user. The
# superuser is `takitini` with a random password (SCRAM), written to D/url (mode 600).
set -euo pipefail

log() { printf '\033[1;34m[postgres]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[postgres] error:\033[0m %s\n' "$*" >&2; exit 1; }

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then echo "$PG_BINDIR"; return 0; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return 0; fi
  return 1
}

install_server() {
  if find_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != "0" ]; then die "PostgreSQL server binaries not found; install them (Debian: apt-get install postgresql) or run as root"; fi
  log "installing postgresql from Debian's packages"
  local stamp="${TAKITINI_CACHE:-$HOME/.cache/takitini}/.apt-updated"
  mkdir -p "$(dirname "$stamp")"
  if [ ! -f "$stamp" ]; then apt-get update -qq >&2 && touch "$stamp"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_bindir >/dev/null || die "postgresql was installed but no initdb was found"
}

# Run a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = "0" ]; then
    getent passwd postgres >/dev/null || die "running as root needs the 'postgres' system user (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

dir="" port="${TAKITINI_PG_PORT:-55432}" remove=0
settings=()
cmd="${1:-}"; shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --remove) remove=1; shift ;;
    -c) settings+=("$2"); shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done

case "$cmd" in
  install) install_server ;;
  bindir) find_bindir || die "PostgreSQL server binaries not found (postgres.sh install)" ;;
  start)
    install_server
    bin="$(find_bindir)"
    [[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number"
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/takitini-pg.XXXXXX)"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -e "$dir/data/PG_VERSION" ]; then
      # A cluster this script made earlier (npm start keeps one): start it again.
      [ -f "$dir/url" ] || die "$dir/data holds a cluster this script did not make"
      if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
          || { tail -n 30 "$dir/postgres.log" >&2 || true; die "the server did not start"; }
      fi
      url="$(cat "$dir/url")"
      echo "url=$url"
      echo "port=${url##*:}" | sed 's#/.*##'
      echo "dir=$dir"
      echo "pid=$(head -n 1 "$dir/data/postmaster.pid")"
      echo "log=$dir/postgres.log"
      exit 0
    fi
    password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24)"
    mkdir -p "$dir/run"
    umask 077
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" = "0" ]; then chown -R postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U takitini --pwfile="$dir/pwfile" --auth=scram-sha-256 -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/pwfile"
    {
      echo "# takitini throwaway cluster"
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = '$dir/run'"
      for s in "${settings[@]}"; do
        name="${s%%=*}" value="${s#*=}"
        [[ "$name" =~ ^[a-z_.]+$ ]] || die "bad setting name: $name"
        echo "$name = '${value//\'/\'\'}'"
      done
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
      || { tail -n 30 "$dir/postgres.log" >&2 || true; die "the server did not start"; }
    url="postgres://takitini:$password@127.0.0.1:$port/postgres"
    printf '%s\n' "$url" > "$dir/url"
    chmod 600 "$dir/url"
    echo "url=$url"
    echo "port=$port"
    echo "dir=$dir"
    echo "pid=$(head -n 1 "$dir/data/postmaster.pid")"
    echo "log=$dir/postgres.log"
    ;;
  stop)
    [ -n "$dir" ] || die "stop needs --dir"
    if [ -f "$dir/data/postmaster.pid" ]; then
      bin="$(find_bindir)"
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || die "pg_ctl stop failed"
    fi
    if [ "$remove" = 1 ]; then rm -rf "$dir"; fi
    ;;
  status)
    [ -n "$dir" ] || die "status needs --dir"
    bin="$(find_bindir)"
    if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then head -n 1 "$dir/data/postmaster.pid"; else exit 3; fi
    ;;
  *) die "usage: postgres.sh {install|bindir|start [--dir D] [--port N] [-c name=value]...|stop --dir D [--remove]|status --dir D}" ;;
esac
