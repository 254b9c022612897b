#!/usr/bin/env bash
# Policy checks and build, run by `npm run generate` / `npm test` in @takitini/policies.
#   build  opa check --strict, opa fmt --fail, opa build -t wasm → build/policy.wasm
#   test   opa check, opa fmt, opa test --coverage (≥ 90%), and fail if the committed
#          build/policy.wasm differs from a fresh build of the Rego source.
set -euo pipefail
POLICIES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$POLICIES/.." && pwd)"
OPA="$("$ROOT/infra/opa/install.sh")"
ENTRYPOINT="takitini/sharing/decision"
AREAS=(sharing)
COVERAGE_THRESHOLD=90
cd "$POLICIES"

check() {
  "$OPA" check --strict --ignore samples "${AREAS[@]}" data
  local unformatted
  unformatted="$("$OPA" fmt --list "${AREAS[@]}")"
  if [ -n "$unformatted" ]; then
    echo "policy.sh: not opa-fmt formatted (run: opa fmt --write policies/): $unformatted" >&2
    exit 1
  fi
}

# Compile to wasm and extract the module from the bundle. Only policy.wasm is
# kept: the bundle's tarball carries timestamps, the module does not.
compile() {
  local out="$1" tmp
  tmp="$(mktemp -d)"
  "$OPA" build -t wasm -e "$ENTRYPOINT" -o "$tmp/bundle.tar.gz" "${AREAS[@]/%/\/decision.rego}" >&2
  tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" policy.wasm
  mv "$tmp/policy.wasm" "$out"
  rm -rf "$tmp"
}

case "${1:-}" in
  build)
    check
    mkdir -p build
    compile build/policy.wasm
    echo "policy.sh: built build/policy.wasm ($(wc -c < build/policy.wasm) bytes, sha256 $(sha256sum build/policy.wasm | cut -c1-12))" >&2
    ;;
  test)
    check
    "$OPA" test --ignore samples "${AREAS[@]}" data --coverage --threshold "$COVERAGE_THRESHOLD" --format json > "$POLICIES/.coverage.json" || {
      "$OPA" test --ignore samples "${AREAS[@]}" data -v >&2 || true
      echo "policy.sh: opa test failed, or coverage below ${COVERAGE_THRESHOLD}%" >&2
      exit 1
    }
    "$OPA" test --ignore samples "${AREAS[@]}" data >&2
    echo "policy.sh: coverage $(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).coverage)' "$POLICIES/.coverage.json")%" >&2
    fresh="$(mktemp)"
    compile "$fresh"
    if ! cmp -s "$fresh" build/policy.wasm; then
      rm -f "$fresh"
      echo "policy.sh: build/policy.wasm is stale — it differs from the Rego source. Run: npm run generate -w @takitini/policies" >&2
      exit 1
    fi
    rm -f "$fresh"
    echo "policy.sh: build/policy.wasm matches the Rego source" >&2
    ;;
  *) echo "usage: policy.sh build|test" >&2; exit 2 ;;
esac
