#!/usr/bin/env bash
# Certificate revocation for the local PKI (infra/pki/issue.sh): partners whose
# Subscribe certificates must stop working before they expire.
#
#   bash infra/pki/revoke.sh [--out DIR] [--crl-days N] [--list] [SUBSCRIBER_ID|CERT_FILE …]
#
# Revokes each named certificate — SUBSCRIBER_ID is DIR/subscriber/<id>.crt, anything
# else is read as a PEM certificate file — by its serial number, in an index kept
# under DIR/ca-db/ (openssl ca's database: index.txt, crlnumber, openssl.cnf), then
# (re)writes
#   DIR/crl.pem        a CRL (v2, with a CRL number) signed by the CA in DIR/ca.{crt,key},
#                      listing every certificate revoked so far; nextUpdate is now plus
#                      --crl-days (default 7): reissue it before then (npm start does,
#                      as does any run of this script)
# and prints its path on stdout. With no certificate named it just reissues the CRL
# (so an empty one exists). With --list it prints the revoked certificates instead,
# one a line: serial (hex), revocation time (UTC, YYMMDDHHMMSSZ), subject.
#
# Only certificates signed by the CA in DIR can be revoked (anything else is an
# error, and nothing is revoked). Idempotent: revoking a certificate twice is fine.
# The CRL is written to a temporary file and renamed over crl.pem, so a reader
# (the exchange polls SUBSCRIBE_CRL_FILE) never sees half of one. If DIR's CA has
# been replaced (issue.sh renews one within 31 days of expiry, and every
# certificate with it), the old CA's database is set aside (ca-db/old-<time>/):
# its certificates are no longer trusted at all. A revoked certificate stays in
# DIR (issue.sh keeps it while it is valid): to give the partner a new one, remove
# DIR/subscriber/<id>.{crt,key} and run issue.sh. Shares issue.sh's lock on DIR.
set -euo pipefail

OUT="${TAKITINI_PKI_DIR:-$HOME/.cache/takitini/pki}"
CRL_DAYS=7
LIST=0
TARGETS=()

log() { printf '[pki] %s\n' "$*" >&2; }
die() { printf '[pki] error: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: revoke.sh [--out DIR] [--crl-days N] [--list] [SUBSCRIBER_ID|CERT_FILE …]"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; OUT="$2"; shift 2 ;;
    --crl-days) [ $# -ge 2 ] || usage; CRL_DAYS="$2"; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    --) shift; TARGETS+=("$@"); break ;;
    -*) usage ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
case "$CRL_DAYS" in ''|*[!0-9]*) die "--crl-days must be a whole number";; esac
[ "$CRL_DAYS" -ge 1 ] && [ "$CRL_DAYS" -le 365 ] || die "--crl-days must be between 1 and 365"
command -v openssl >/dev/null 2>&1 || die "the openssl CLI is needed (Debian: apt-get install openssl)"

umask 077
[ -d "$OUT" ] || die "$OUT is not a PKI directory (run infra/pki/issue.sh --out $OUT first)"
OUT="$(cd "$OUT" && pwd)"
[ -s "$OUT/ca.crt" ] && [ -s "$OUT/ca.key" ] || die "no CA in $OUT (ca.crt, ca.key): run infra/pki/issue.sh --out $OUT first"

# One writer at a time per directory (the same lock as issue.sh).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock -w 60 9 || die "another issue.sh or revoke.sh holds $OUT/.lock"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# The certificates to revoke, resolved and checked before anything is changed.
FILES=()
for t in ${TARGETS[@]+"${TARGETS[@]}"}; do
  if [[ "$t" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] && [ ! -e "$t" ]; then
    f="$OUT/subscriber/$t.crt"
    [ -s "$f" ] || die "no certificate for subscriber $t ($f)"
  else
    f="$t"
    [ -s "$f" ] || die "no such certificate file: $f"
  fi
  openssl x509 -in "$f" -noout >/dev/null 2>&1 || die "not a PEM certificate: $f"
  # Expired ones too: a revocation should not wait for a clock.
  openssl verify -no_check_time -CAfile "$OUT/ca.crt" "$f" >/dev/null 2>&1 || die "$f is not signed by the CA in $OUT: nothing revoked"
  FILES+=("$f")
done

DB="$OUT/ca-db"
mkdir -p "$DB"
chmod 700 "$DB"
# The database belongs to one CA: a new CA starts a new one.
fingerprint="$(openssl x509 -in "$OUT/ca.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')"
if [ -s "$DB/index.txt" ] && [ "$(cat "$DB/ca.sha256" 2>/dev/null || true)" != "$fingerprint" ]; then
  old="$DB/old-$(date -u +%Y%m%dT%H%M%SZ)"
  log "the CA in $OUT has changed: setting its predecessor's revocations aside in $old"
  mkdir -p "$old"
  for f in index.txt index.txt.attr index.txt.old index.txt.attr.old crlnumber crlnumber.old ca.sha256; do
    if [ -e "$DB/$f" ]; then mv -f "$DB/$f" "$old/"; fi
  done
fi
printf '%s\n' "$fingerprint" >"$DB/ca.sha256"
[ -e "$DB/index.txt" ] || : >"$DB/index.txt"
[ -s "$DB/crlnumber" ] || echo 1000 >"$DB/crlnumber"
printf 'unique_subject = no\n' >"$DB/index.txt.attr"
# Paths relative to DB (openssl runs there), so no character of DIR reaches the config.
cat >"$DB/openssl.cnf" <<CNF
[ ca ]
default_ca = takitini_ca

[ takitini_ca ]
database         = ./index.txt
crlnumber        = ./crlnumber
new_certs_dir    = .
certificate      = ../ca.crt
private_key      = ../ca.key
default_md       = sha256
default_crl_days = $CRL_DAYS
unique_subject   = no
crl_extensions   = crl_ext

[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF

# serial_of CERT: its serial as openssl's index writes it (upper-case hex, no leading zeros).
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//; s/^0*//' | tr 'a-f' 'A-F'; }
# revoked SERIAL: whether the index already lists it revoked.
revoked() { awk -F'\t' -v s="$1" '$1 == "R" { x = toupper($4); sub(/^0+/, "", x); if (x == s) found = 1 } END { exit !found }' "$DB/index.txt"; }

for f in ${FILES[@]+"${FILES[@]}"}; do
  serial="$(serial_of "$f")"
  subject="$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
  if revoked "$serial"; then
    log "already revoked: $subject (serial $serial)"
    continue
  fi
  abs="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
  (cd "$DB" && openssl ca -config openssl.cnf -revoke "$abs" -batch) >"$TMP/ca.log" 2>&1 || { cat "$TMP/ca.log" >&2; die "could not revoke $f"; }
  revoked "$serial" || { cat "$TMP/ca.log" >&2; die "openssl did not record the revocation of $f"; }
  log "revoked $subject (serial $serial)"
done

if [ "$LIST" = 1 ]; then
  awk -F'\t' -v OFS='\t' '$1 == "R" { split($3, r, ","); print $4, r[1], $6 }' "$DB/index.txt"
  [ "${#FILES[@]}" -gt 0 ] || exit 0
fi

(cd "$DB" && openssl ca -config openssl.cnf -gencrl -crldays "$CRL_DAYS" -out "$TMP/crl.pem" -batch) >"$TMP/ca.log" 2>&1 || { cat "$TMP/ca.log" >&2; die "could not issue the CRL"; }
openssl crl -in "$TMP/crl.pem" -noout -CAfile "$OUT/ca.crt" >/dev/null 2>&1 || die "the CRL just issued does not verify against $OUT/ca.crt"
mv -f "$TMP/crl.pem" "$OUT/crl.pem"
count="$(awk -F'\t' '$1 == "R"' "$DB/index.txt" | wc -l | tr -d ' ')"
log "CRL $OUT/crl.pem: $count revoked, next update in $CRL_DAYS days"
[ "$LIST" = 1 ] || echo "$OUT/crl.pem"
