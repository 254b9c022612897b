#!/usr/bin/env bash
# The test package's `npm test`: the type check, then the end-to-end suite (e2e/) and the fault
# suite (faults/) in two lanes that run at the same time —
#   lane 1: end-to-end files (part e2e-1);
#   lane 2: the fault suite (part faults), then the other end-to-end files (part e2e-2)
# — split so that the lanes end together (lanes.ts, from each file's time in e2e/durations.json),
# then every part's report folded into the package's (merge-reports.mjs).
#
# The parts share nothing but the machine. Each end-to-end part is a vitest run that starts its
# own Kafka broker, PostgreSQL server and services (e2e/global-setup.ts); the fault suite its own
# three-node cluster, PostgreSQL, PKI and mesh (it ignores KAFKA_BROKERS and DATABASE_URL). Each
# part picks its ports from a range of its own (TAKITINI_PORT_RANGE), so no part can take a port
# another picked and has not bound yet, or one a killed Kafka node is about to bind again.
#
# Why at once: run alone, the end-to-end suite mostly waits on brokers and processes (it left 62 %
# of two cores idle over its 20 minutes), while the fault suite's fourteen processes and three
# brokers keep both cores busy for most of its 8. The two lanes fill the idle time.
#
# With KAFKA_BROKERS or DATABASE_URL naming a server of yours, which two end-to-end parts would
# share, lane 1 runs every end-to-end file and lane 2 only the fault suite.
# TAKITINI_SUITES_IN_TURN=true: the end-to-end suite, then the fault suite, one after the other.
set -uo pipefail
cd "$(dirname "$0")"
rm -f .test-report*.json .test-unhandled*.json faults/.test-report.json faults/.test-unhandled.json
status_dir="$(mktemp -d)"
trap 'rm -rf "$status_dir"' EXIT

types=0
npm run -s typecheck || types=$?

# The ports below the kernel's ephemeral range (infra/src/kafka/ports.ts), one range per part.
FROM=20000; TO=32767; span=$(((TO - FROM + 1) / 3))
range() { echo "$((FROM + $1 * span))-$((FROM + ($1 + 1) * span - 1))"; }

# part NAME INDEX COMMAND…: one part, its exit status kept in $status_dir/NAME, its lines marked
# with its name when it shares the console with another.
part() {
  local name="$1" index="$2"; shift 2
  local status
  if [ "${TAKITINI_SUITES_IN_TURN:-}" = "true" ]; then
    TAKITINI_TEST_PART="$name" TAKITINI_PORT_RANGE="$(range "$index")" "$@"; status=$?
  else
    TAKITINI_TEST_PART="$name" TAKITINI_PORT_RANGE="$(range "$index")" "$@" 2>&1 | sed -u "s/^/$name │ /"; status=$?
  fi
  echo "$status" > "$status_dir/$name"
}

reports=("faults=faults/.test-report.json")
if [ "${TAKITINI_SUITES_IN_TURN:-}" = "true" ]; then
  part e2e 0 vitest run
  part faults 2 vitest run -c vitest.faults.config.ts
  reports+=("e2e=.test-report.e2e.json")
elif [ -n "${KAFKA_BROKERS:-}" ] || [ -n "${DATABASE_URL:-}" ]; then
  part e2e 0 vitest run &
  part faults 2 vitest run -c vitest.faults.config.ts &
  wait
  reports+=("e2e=.test-report.e2e.json")
else
  split="$(node lanes.ts)" || { echo "run-suites: could not split the end-to-end files into lanes (lanes.ts)" >&2; exit 1; }
  mapfile -t lanes <<< "$split"
  read -r -a first <<< "${lanes[0]:-}"
  read -r -a second <<< "${lanes[1]:-}"
  [ $((${#first[@]} + ${#second[@]})) -gt 0 ] || { echo "run-suites: no end-to-end test files" >&2; exit 1; }
  [ "${#first[@]}" -gt 0 ] && { part e2e-1 0 vitest run "${first[@]}" & }
  {
    part faults 2 vitest run -c vitest.faults.config.ts
    [ "${#second[@]}" -eq 0 ] || part e2e-2 1 vitest run "${second[@]}"
  } &
  wait
  [ "${#first[@]}" -eq 0 ] || reports+=("e2e-1=.test-report.e2e-1.json")
  [ "${#second[@]}" -eq 0 ] || reports+=("e2e-2=.test-report.e2e-2.json")
fi

failed=0
for f in "$status_dir"/*; do
  s="$(cat "$f")"
  [ "$s" -eq 0 ] || { echo "$(basename "$f"): exit $s" >&2; failed=1; }
done
node merge-reports.mjs "${reports[@]}" || failed=1
[ "$types" -eq 0 ] && [ "$failed" -eq 0 ]
