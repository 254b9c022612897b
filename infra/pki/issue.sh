#!/usr/bin/env bash
# Local PKI for the mesh's mutual-TLS doors (the exchange's gRPC Subscribe).
#
#   bash infra/pki/issue.sh [--out DIR] [--rogue-ca] [--days N] [--kafka "PRINCIPAL …"]
#                           [--publisher "AGENCY/SYSTEM …"]
#
# Issues, with the openssl CLI, ECDSA P-256 keys and:
#   DIR/ca.crt, DIR/ca.key                      the local CA (Takitini local CA)
#   DIR/subscriber/<id>.crt, .key               one client certificate per partner
#                                               agency and per foreign partner in
#                                               policies/data/subscribers.json (tiers
#                                               partner_agency, foreign_partner); identity
#                                               is the URI SAN spiffe://takitini.local/subscriber/<id>
#   DIR/service/<name>.crt, .key                server certificates (exchange, audit,
#                                               briefing, linkage and the four adapters): SAN
#                                               DNS:localhost, IP:127.0.0.1 and
#                                               URI spiffe://takitini.local/service/<name>
#   DIR/publisher/<agency>/<system>.crt, .key   with --publisher "police/nia …": a client
#                                               certificate per agency system that publishes
#                                               to its agency's adapter; identity is the URI
#                                               SAN spiffe://takitini.local/publisher/<agency>/<system>
#   DIR/kafka/<principal>.crt, .key             with --kafka "p1 p2 …": a Kafka client
#                                               certificate per principal, subject
#                                               O=Takitini, OU=kafka, CN=<principal> (the
#                                               broker maps exactly that DN to User:<principal>),
#                                               URI SAN spiffe://takitini.local/kafka/<principal>;
#                                               the principal "broker" also gets the server
#                                               SANs DNS:localhost, IP:127.0.0.1
# and with --rogue-ca also
#   DIR/rogue/ca.crt, DIR/rogue/ca.key          a second, untrusted CA with the same name
#   DIR/rogue/subscriber/<id>.crt, .key         the same partner identities signed by it
#                                               (for tests: the exchange must refuse them)
#   DIR/rogue/kafka/<principal>.crt, .key       likewise for the Kafka principals (the broker
#                                               must refuse them at connection)
#   DIR/rogue/publisher/<agency>/<system>.*     likewise for the publishers (adapters refuse them)
#
# DIR defaults to ${TAKITINI_PKI_DIR:-$HOME/.cache/takitini/pki} — never the repository.
# Idempotent: what exists, is signed by the CA in DIR and is valid for at least
# another day is kept; anything missing, expiring or signed by another CA is
# (re)issued. A CA that expires within 31 days is replaced, and every certificate
# with it. Keys are written 0600 in a 0700 directory. Prints DIR on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${TAKITINI_PKI_DIR:-$HOME/.cache/takitini/pki}"
ROGUE=0
KAFKA=()
PUBLISHERS=()
DAYS=30
CA_DAYS=365
TRUST_DOMAIN="takitini.local"
SERVICES=(exchange audit briefing linkage police-adapter customs-adapter mbie-adapter msd-adapter)
REGISTRY="${TAKITINI_SUBSCRIBERS_FILE:-$ROOT/policies/data/subscribers.json}"

log() { printf '[pki] %s\n' "$*" >&2; }
die() { printf '[pki] error: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: issue.sh [--out DIR] [--rogue-ca] [--days N] [--kafka \"PRINCIPAL …\"] [--publisher \"AGENCY/SYSTEM …\"]"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; OUT="$2"; shift 2 ;;
    --rogue-ca) ROGUE=1; shift ;;
    --days) [ $# -ge 2 ] || usage; DAYS="$2"; shift 2 ;;
    --kafka) [ $# -ge 2 ] || usage; read -r -a more <<<"$2"; KAFKA+=(${more[@]+"${more[@]}"}); shift 2 ;;
    --publisher) [ $# -ge 2 ] || usage; read -r -a more <<<"$2"; PUBLISHERS+=(${more[@]+"${more[@]}"}); shift 2 ;;
    -h|--help) sed -n '2,36p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) usage ;;
  esac
done
case "$DAYS" in ''|*[!0-9]*) die "--days must be a whole number";; esac
[ "$DAYS" -ge 2 ] || die "--days must be at least 2"
for p in ${KAFKA[@]+"${KAFKA[@]}"}; do
  case "$p" in *[!a-z0-9-]*|-*|'') die "bad Kafka principal name: $p (lowercase letters, digits and '-')";; esac
done
for p in ${PUBLISHERS[@]+"${PUBLISHERS[@]}"}; do
  [[ "$p" =~ ^(police|customs|mbie|msd)/[a-z0-9][a-z0-9-]{0,62}$ ]] || die "bad publisher: $p (AGENCY/SYSTEM: agency police, customs, mbie or msd; system lowercase letters, digits and '-')"
done
command -v openssl >/dev/null 2>&1 || die "the openssl CLI is needed (Debian: apt-get install openssl)"

NODE="$ROOT/node_modules/.bin/node"
[ -x "$NODE" ] || NODE="$(command -v node || true)"
[ -n "$NODE" ] || die "node is needed to read $REGISTRY"

# Partner agencies and foreign partners (served over HTTPS; Subscribe refuses them), read
# from the policy registry (ids checked before they name files or SANs).
mapfile -t PARTNERS < <("$NODE" -e '
  const reg = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  for (const [id, s] of Object.entries(reg)) {
    if (s && (s.tier === "partner_agency" || s.tier === "foreign_partner")) {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) { console.error(`bad subscriber id: ${JSON.stringify(id)}`); process.exit(1); }
      console.log(id);
    }
  }' "$REGISTRY") || die "cannot read partners from $REGISTRY"
[ "${#PARTNERS[@]}" -gt 0 ] || die "no partner agencies in $REGISTRY"

umask 077
mkdir -p "$OUT"
chmod 700 "$OUT"
OUT="$(cd "$OUT" && pwd)"

# One issuer at a time per directory (npm start and a test may race on the default one).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock -w 60 9 || die "another issue.sh holds $OUT/.lock"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# valid CERT CA_CERT SECONDS: signed by CA_CERT and not expiring within SECONDS.
valid() {
  [ -s "$1" ] && [ -s "${1%.crt}.key" ] || return 1
  openssl x509 -in "$1" -noout -checkend "$3" >/dev/null 2>&1 || return 1
  openssl verify -CAfile "$2" "$1" >/dev/null 2>&1
}

# ca DIR CN: a self-signed CA in DIR/ca.{crt,key} unless a good one is there.
ca() {
  local dir="$1" cn="$2"
  mkdir -p "$dir"
  if [ -s "$dir/ca.crt" ] && [ -s "$dir/ca.key" ] && openssl x509 -in "$dir/ca.crt" -noout -checkend $((31 * 86400)) >/dev/null 2>&1; then
    return 0
  fi
  log "issuing CA $cn in $dir"
  new_key "$TMP/ca.key"
  openssl req -x509 -new -key "$TMP/ca.key" -sha256 -days "$CA_DAYS" -subj "/O=Takitini/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$TMP/ca.crt" 2>/dev/null
  mv -f "$TMP/ca.key" "$dir/ca.key"
  mv -f "$TMP/ca.crt" "$dir/ca.crt"
  chmod 600 "$dir/ca.crt"
}

# leaf CA_DIR OUT_BASE CN EKU SAN [SUBJECT]: a certificate signed by CA_DIR's CA unless a good one is there.
leaf() {
  local cadir="$1" base="$2" cn="$3" eku="$4" san="$5" subject="${6:-/O=Takitini/CN=$3}"
  mkdir -p "$(dirname "$base")"
  if valid "$base.crt" "$cadir/ca.crt" 86400; then return 0; fi
  log "issuing $(basename "$(dirname "$base")")/$(basename "$base") ($san)"
  local name; name="$(basename "$base")"
  new_key "$TMP/$name.key"
  openssl req -new -key "$TMP/$name.key" -subj "$subject" -out "$TMP/$name.csr" 2>/dev/null
  cat >"$TMP/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$eku
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
  openssl x509 -req -in "$TMP/$name.csr" -CA "$cadir/ca.crt" -CAkey "$cadir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$TMP/$name.ext" \
    -out "$TMP/$name.crt" 2>/dev/null
  mv -f "$TMP/$name.key" "$base.key"
  mv -f "$TMP/$name.crt" "$base.crt"
  chmod 600 "$base.crt"
}

ca "$OUT" "Takitini local CA"
for id in "${PARTNERS[@]}"; do
  leaf "$OUT" "$OUT/subscriber/$id" "subscriber $id" clientAuth "URI:spiffe://$TRUST_DOMAIN/subscriber/$id"
done
for svc in "${SERVICES[@]}"; do
  leaf "$OUT" "$OUT/service/$svc" "$svc" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1,URI:spiffe://$TRUST_DOMAIN/service/$svc"
done
# kafka_leaf CA_DIR PRINCIPAL: the principal's Kafka certificate (the broker's also serves TLS).
kafka_leaf() {
  local cadir="$1" p="$2"
  if [ "$p" = broker ]; then
    leaf "$cadir" "$cadir/kafka/$p" "$p" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1,URI:spiffe://$TRUST_DOMAIN/kafka/$p" "/O=Takitini/OU=kafka/CN=$p"
  else
    leaf "$cadir" "$cadir/kafka/$p" "$p" clientAuth "URI:spiffe://$TRUST_DOMAIN/kafka/$p" "/O=Takitini/OU=kafka/CN=$p"
  fi
}
for p in ${KAFKA[@]+"${KAFKA[@]}"}; do kafka_leaf "$OUT" "$p"; done
# publisher_leaf CA_DIR AGENCY/SYSTEM: an agency system's certificate for its adapter's doors.
publisher_leaf() {
  local cadir="$1" agency="${2%%/*}" system="${2#*/}"
  leaf "$cadir" "$cadir/publisher/$agency/$system" "$agency $system" clientAuth "URI:spiffe://$TRUST_DOMAIN/publisher/$agency/$system" "/O=Takitini/OU=publisher/CN=$agency-$system"
}
for p in ${PUBLISHERS[@]+"${PUBLISHERS[@]}"}; do publisher_leaf "$OUT" "$p"; done
if [ "$ROGUE" = 1 ]; then
  # Same subject as the real CA on purpose: only the signature tells them apart.
  ca "$OUT/rogue" "Takitini local CA"
  for id in "${PARTNERS[@]}"; do
    leaf "$OUT/rogue" "$OUT/rogue/subscriber/$id" "subscriber $id" clientAuth "URI:spiffe://$TRUST_DOMAIN/subscriber/$id"
  done
  for p in ${KAFKA[@]+"${KAFKA[@]}"}; do kafka_leaf "$OUT/rogue" "$p"; done
  for p in ${PUBLISHERS[@]+"${PUBLISHERS[@]}"}; do publisher_leaf "$OUT/rogue" "$p"; done
fi
echo "$OUT"
