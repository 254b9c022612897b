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
#   postgres.sh audit-roles --url U [--schema S]
#                                             on the server at U (a superuser's URL): the audit ledger's two roles
#                                             (least privilege) — takitini_audit_owner, which owns the ledger's
#                                             tables and runs its migrations, and takitini_audit, the service's,
#                                             which the owner grants INSERT and SELECT only — with passwords derived
#                                             from U (stable across runs); the owner may run pg_switch_wal() (erasure,
#                                             purge); tables an earlier superuser-run ledger left in S
#                                             (default public) are handed to the owner; prints key=value lines:
#                                             audit_url (the service's), audit_owner_url
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

dir="" port="${TAKITINI_PG_PORT:-55432}" remove=0 url="" schema="public"
settings=()
cmd="${1:-}"; shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --remove) remove=1; shift ;;
    --url) url="$2"; shift 2 ;;
    --schema) schema="$2"; shift 2 ;;
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
  audit-roles)
    [ -n "$url" ] || die "audit-roles needs --url (a superuser's connection URL)"
    [[ "$schema" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "--schema takes a lower-case SQL identifier"
    psql_bin="$(find_bindir 2>/dev/null)/psql"
    [ -x "$psql_bin" ] || psql_bin="$(command -v psql || true)"
    [ -n "$psql_bin" ] || die "psql not found"
    # Each role's password is derived from the superuser's URL (secret, in the cluster's 0600 url file):
    # the same every run, so running this again (npm start, a test worker) never breaks a live connection.
    owner_pw="$(printf '%s|takitini_audit_owner' "$url" | sha256sum | cut -c1-32)"
    service_pw="$(printf '%s|takitini_audit' "$url" | sha256sum | cut -c1-32)"
    # Idempotent: the roles are made once. The owner may create the ledger's schema; the service
    # role gets nothing here (the owner's migration step grants it).
    "$psql_bin" "$url" -q -v ON_ERROR_STOP=1 -v owner_pw="$owner_pw" -v service_pw="$service_pw" -v schema="$schema" >/dev/null <<'SQL' || die "could not create the audit's roles"
do $$ begin create role takitini_audit_owner login; exception when duplicate_object then null; end $$;
do $$ begin create role takitini_audit login; exception when duplicate_object then null; end $$;
alter role takitini_audit_owner nosuperuser nocreaterole nocreatedb password :'owner_pw';
alter role takitini_audit nosuperuser nocreaterole nocreatedb nobypassrls password :'service_pw';
select format('grant create, connect on database %I to takitini_audit_owner', current_database()) \gexec
select format('grant connect on database %I to takitini_audit', current_database()) \gexec
-- Erasure and purge (services/audit README) switch the WAL segment after destroying keys, so a physical
-- backup taken afterwards holds no WAL record of them; the owner runs them, the service role never may.
grant execute on function pg_switch_wal() to takitini_audit_owner;
select format('grant usage, create on schema %I to takitini_audit_owner', :'schema') where exists (select from pg_namespace where nspname = :'schema') \gexec
-- A ledger an earlier version made as the superuser: its tables, views and functions go to the owner.
select format('alter %s %s owner to takitini_audit_owner', case c.relkind when 'v' then 'view' else 'table' end, c.oid::regclass)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = :'schema' and c.relkind in ('r', 'p', 'v') and (c.relname like 'ledger\_%' or c.relname like 'audit\_%')
   and pg_get_userbyid(c.relowner) <> 'takitini_audit_owner' \gexec
select format('alter function %s owner to takitini_audit_owner', p.oid::regprocedure)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = :'schema' and p.proname like 'ledger\_%' and pg_get_userbyid(p.proowner) <> 'takitini_audit_owner' \gexec
SQL
    base="${url%%@*}"; host="${url#*@}"; scheme="${base%%://*}"
    echo "audit_url=$scheme://takitini_audit:$service_pw@$host"
    echo "audit_owner_url=$scheme://takitini_audit_owner:$owner_pw@$host"
    ;;
  *) die "usage: postgres.sh {install|bindir|start [--dir D] [--port N] [-c name=value]...|stop --dir D [--remove]|status --dir D|audit-roles --url U [--schema S]}" ;;
esac
