#!/usr/bin/env bash
# Policy checks and the wasm build for @takitini/policies. Works from any directory.
#
#   policy.sh build [OUT]  opa check --strict, opa fmt check, then compile the Rego
#                     to build/policy.wasm (committed: running the mesh needs no Go),
#                     or to OUT (a candidate for `npm run policy:impact`).
#   policy.sh test    opa check --strict, opa fmt check, opa test with coverage of at
#                     least COVERAGE_THRESHOLD %, every area's samples (single decisions
#                     and the per-subscriber matrix) against the Rego, and a fresh
#                     compile that must be byte-identical to the committed
#                     build/policy.wasm.
#
# The OPA CLI is the pinned one from infra/opa/install.sh (built with Go on first use).
# The build is deterministic: `opa build` writes its bundle with zero timestamps, and
# the only input-dependent bytes besides the Rego are the source file names the wasm
# keeps for error messages, so we always compile from the package folder with
# relative paths, in sorted order.
set -euo pipefail

POLICIES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$POLICIES/.." && pwd)"

# One folder per policy area; each area's decision document is a wasm entrypoint (and
# its samples are checked against it), as is any vocabulary the TypeScript side reads
# from the policy rather than restating it (the redaction categories).
AREAS=(sharing)
DECISIONS=(takitini/sharing/decision)
ENTRYPOINTS=("${DECISIONS[@]}" takitini/sharing/vocabulary/redaction_categories)
# The subscriber registry, mounted where the policy reads it.
DATA="takitini.subscribers:data/subscribers.json"
WASM="build/policy.wasm"
COVERAGE_THRESHOLD=90

say() { echo "policy.sh: $*" >&2; }
die() { say "$*"; exit 1; }

cd "$POLICIES"

OPA=""
find_opa() {
  OPA="$("$ROOT/infra/opa/install.sh" | tail -n 1)" && [ -x "$OPA" ]
}
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Rego sources compiled into the wasm: every area's .rego except tests, sorted.
sources() {
  find "${AREAS[@]}" -name '*.rego' ! -name '*_test.rego' | LC_ALL=C sort
}

check() {
  "$OPA" check --strict --ignore samples "${AREAS[@]}" || die "opa check --strict failed (above)"
  local unformatted
  # --list names the files opa fmt would change; --fail makes that an error.
  unformatted="$("$OPA" fmt --list --fail "${AREAS[@]}")" ||
    die "not opa-fmt formatted: ${unformatted//$'\n'/ } (fix with: $OPA fmt --write policies/${AREAS[*]})"
}

# Compile the areas' policy to wasm and keep only the module: the rest of the
# bundle (a copy of the Rego, an empty data.json, the manifest) is not needed at
# runtime, where data comes from data/ through setData.
compile() {
  local out="$1" bundle="$TMP/bundle" src=() entry=() f e
  while IFS= read -r f; do src+=("$f"); done < <(sources)
  for e in "${ENTRYPOINTS[@]}"; do entry+=(-e "$e"); done
  rm -rf "$bundle" && mkdir -p "$bundle"
  "$OPA" build -t wasm "${entry[@]}" -o "$bundle/bundle.tar.gz" "${src[@]}" || die "opa build failed (above)"
  tar -xzf "$bundle/bundle.tar.gz" -C "$bundle" 2>/dev/null || die "could not unpack the bundle built by opa"
  [ -f "$bundle/policy.wasm" ] || die "the bundle built by opa has no policy.wasm"
  mkdir -p "$(dirname "$out")"
  cp "$bundle/policy.wasm" "$out.partial"
  chmod 0644 "$out.partial"
  mv -f "$out.partial" "$out"
}

# opa test, then coverage from its JSON report: the whole and every policy file
# (tests aside) must reach COVERAGE_THRESHOLD %, else the uncovered lines are listed.
unit_tests() {
  "$OPA" test --ignore samples "${AREAS[@]}" "$DATA" >&2 || die "opa test failed (above)"
  local report="$TMP/coverage.json" summary shortfall
  "$OPA" test --ignore samples "${AREAS[@]}" "$DATA" --coverage --format json >"$report" ||
    die "opa test --coverage failed (above)"
  printf '{"threshold": %s}\n' "$COVERAGE_THRESHOLD" >"$TMP/threshold.json"
  cat >"$TMP/coverage.rego" <<'EOF'
package coverage

pct(x) := round(x * 10) / 10

short contains sprintf("overall %v%%", [pct(input.coverage)]) if input.coverage < data.threshold

short contains sprintf("%s %v%%", [f, pct(file.coverage)]) if {
	some f, file in input.files
	not endswith(f, "_test.rego")
	file.coverage < data.threshold
}

missed contains sprintf("  not covered: %s:%d-%d", [f, r.start.row, r.end.row]) if {
	some f, file in input.files
	some r in file.not_covered
}

shortfall := concat("\n", array.concat([concat(", ", sort(short))], sort(missed))) if count(short) > 0

else := ""

files := [sprintf("%s %v%%", [f, pct(file.coverage)]) | some f, file in input.files]

summary := concat(", ", array.concat([sprintf("%v%% overall", [pct(input.coverage)])], files))
EOF
  shortfall="$("$OPA" eval --format raw --input "$report" --data "$TMP/coverage.rego" --data "$TMP/threshold.json" 'data.coverage.shortfall')" ||
    die "could not read the coverage report"
  [ -z "$shortfall" ] || die "opa test coverage is below the ${COVERAGE_THRESHOLD}% threshold: $shortfall"
  summary="$("$OPA" eval --format raw --input "$report" --data "$TMP/coverage.rego" --data "$TMP/threshold.json" 'data.coverage.summary')"
  say "opa test coverage (threshold ${COVERAGE_THRESHOLD}%): $summary"
}

# Every <area>/samples/*.json ({name, input, expected}) must agree with the Rego:
# each key given in expected (at least allow, view, reasons) equals the decision's.
# Every <area>/samples/matrix/*.json ({name, event, expected: {subscriber id: decision}})
# must name every registered subscriber and agree with the Rego on the whole decision
# for each: the README's visibility table is generated from these.
# The vitest suite checks the same samples through the compiled wasm.
samples() {
  local entry area f id args count total=0 rows=0 src=() problems
  while IFS= read -r f; do src+=("$f"); done < <(sources)
  for entry in "${DECISIONS[@]}"; do
    area="${entry#*/}"
    area="${area%%/*}"
    args=()
    count=0
    for f in "$area"/samples/*.json; do
      [ -e "$f" ] || continue
      id="$(basename "$f" .json)"
      args+=(--data "samples.${id//[^A-Za-z0-9_]/_}:$f")
      count=$((count + 1))
    done
    [ "$count" -gt 0 ] || die "no samples in $area/samples"
    for f in "$area"/samples/matrix/*.json; do
      [ -e "$f" ] || continue
      id="$(basename "$f" .json)"
      args+=(--data "matrix.m_${id//[^A-Za-z0-9_]/_}:$f")
      rows=$((rows + 1))
    done
    sed "s|DECISION|data.${entry//\//.}|" >"$TMP/samples_check.rego" <<'EOF'
package samples_check

required := {"allow", "view", "reasons"}

decision_keys := {"allow", "view", "redact", "reasons", "legal_basis"}

well_formed(s) if {
	is_string(s.name)
	"input" in object.keys(s)
	is_object(s.expected)
	count(required - object.keys(s.expected)) == 0
}

problems contains sprintf("%s: a sample is {name, input, expected: {allow, view, reasons, ...}}", [id]) if {
	some id, s in data.samples
	not well_formed(s)
}

problems contains sprintf("%s (%s): expected %v, the policy decides %v", [id, k, want, got]) if {
	some id, s in data.samples
	well_formed(s)
	d := DECISION with input as s.input
	some k, want in s.expected
	got := object.get(d, k, null)
	want != got
}

matrix := data.matrix

matrix_well_formed(m) if {
	is_string(m.name)
	is_object(m.event)
	is_object(m.expected)
	every _, want in m.expected {
		object.keys(want) == decision_keys
	}
}

problems contains sprintf("matrix %s: a row is {name, event, expected: {subscriber id: {%s}}}", [id, concat(", ", sort(decision_keys))]) if {
	some id, m in matrix
	not matrix_well_formed(m)
}

problems contains sprintf("matrix %s: no expectation for subscriber %s", [id, sid]) if {
	some id, m in matrix
	some sid, _ in data.takitini.subscribers
	not sid in object.keys(object.get(m, "expected", {}))
}

problems contains sprintf("matrix %s (%s): expected %v, the policy decides %v", [id, sid, want, got]) if {
	some id, m in matrix
	matrix_well_formed(m)
	some sid, want in m.expected
	got := DECISION with input as {"subscriber_id": sid, "event": m.event}
	want != got
}
EOF
    problems="$("$OPA" eval --format raw "${src[@]/#/--data=}" --data "$TMP/samples_check.rego" --data "$DATA" "${args[@]}" \
      'concat("\n", sort(data.samples_check.problems))')" || die "could not evaluate the $area samples (above)"
    [ -z "$problems" ] || die "$area samples disagree with the Rego:"$'\n'"$problems"
    total=$((total + count))
  done
  say "samples: $total decisions and $rows matrix rows agree with the Rego"
}

case "${1:-}" in
  build)
    if [ -n "${2:-}" ]; then
      # A candidate build (for `npm run policy:impact -- --candidate OUT`): the same
      # checks and compile, written to OUT; the committed wasm is left alone.
      find_opa || die "building a candidate needs the OPA CLI (see infra/opa/install.sh)"
      mkdir -p "$(dirname "$2")"
      out="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
      check
      compile "$out"
      say "built candidate $out ($(wc -c <"$out" | tr -d ' ') bytes)"
      exit 0
    fi
    if ! find_opa; then
      # Running the mesh needs no Go: without the OPA CLI the committed wasm stands,
      # and `policy.sh test` (npm test) still fails if it has drifted from the Rego.
      [ -f "$WASM" ] || die "cannot build $WASM without the OPA CLI (see infra/opa/install.sh)"
      say "the OPA CLI is unavailable (above); keeping the committed $WASM. npm test rebuilds it and fails on drift."
      exit 0
    fi
    check
    compile "$WASM"
    version="$("$OPA" version)"
    version="${version%%$'\n'*}"
    say "built $WASM ($(wc -c <"$WASM" | tr -d ' ') bytes, sha256 $( (sha256sum "$WASM" 2>/dev/null || shasum -a 256 "$WASM") | cut -c1-16)) with OPA ${version#Version: }"
    ;;
  test)
    find_opa || die "the policy checks need the OPA CLI (see infra/opa/install.sh)"
    check
    unit_tests
    samples
    compile "$TMP/policy.wasm"
    [ -f "$WASM" ] || die "$WASM is missing. Run: npm run generate -w @takitini/policies"
    cmp -s "$TMP/policy.wasm" "$WASM" ||
      die "$WASM is stale: it differs from a fresh build of the Rego. Run: npm run generate -w @takitini/policies (and commit $WASM)"
    say "$WASM matches a fresh build of the Rego"
    ;;
  *)
    echo "usage: policy.sh build [OUT.wasm] | test" >&2
    exit 2
    ;;
esac
