#!/usr/bin/env bash
# The test package's `npm test`: the type check, then the end-to-end suite (e2e/) and the fault
# suite (faults/) at the same time — the end-to-end suite in one part, or TAKITINI_E2E_SHARDS
# parts each running its share of the files (`vitest --shard`) — then every part's report
# folded into the package's (merge-reports.mjs).
#
# The parts share nothing but the machine. Each end-to-end part starts its own Kafka broker,
# PostgreSQL server and services (e2e/global-setup.ts); the fault suite its own three-node
# cluster, PostgreSQL, PKI and mesh (it ignores KAFKA_BROKERS and DATABASE_URL). Each part
# picks its ports from a range of its own (TAKITINI_PORT_RANGE), so no part can take a port
# another picked and has not bound yet, or one a killed Kafka node is about to bind again.
#
# Why at once: the end-to-end suite mostly waits on brokers and processes (on two cores it left
# 62 % of the CPU idle over its 20 minutes), while the fault suite's fourteen processes and
# three brokers keep both cores busy for most of its 9. Together they take little more than
# the end-to-end suite alone. Sharding the end-to-end suite as well (TAKITINI_E2E_SHARDS=2)
# gains little more on two cores, as the CPU is then what every part waits for.
#
# TAKITINI_E2E_SHARDS: how many parts the end-to-end suite runs in, 1 to 4 (default 1; 1
# always when KAFKA_BROKERS or DATABASE_URL names a server of yours, which parts would share).
# TAKITINI_SUITES_IN_TURN=true: every part one after the other, as before.
set -uo pipefail
cd "$(dirname "$0")"
rm -f .test-report*.json .test-unhandled*.json faults/.test-report.json faults/.test-unhandled.json

types=0
npm run -s typecheck || types=$?

shards="${TAKITINI_E2E_SHARDS:-1}"
case "$shards" in 1|2|3|4) ;; *) echo "TAKITINI_E2E_SHARDS=$shards: expected 1 to 4" >&2; exit 2 ;; esac
if [ -n "${KAFKA_BROKERS:-}" ] || [ -n "${DATABASE_URL:-}" ]; then shards=1; fi

# The ports below the kernel's ephemeral range (infra/src/kafka/ports.ts), cut into one range per part.
FROM=20000; TO=32767
parts=$((shards + 1)); span=$(((TO - FROM + 1) / parts))
range() { echo "$((FROM + $1 * span))-$((FROM + ($1 + 1) * span - 1))"; }

names=(); pids=(); reports=()
# One part, its lines marked with its name when it shares the console with others.
part() {
  local name="$1" index="$2"; shift 2
  if [ "$parts" -gt 1 ] && [ "${TAKITINI_SUITES_IN_TURN:-}" != "true" ]; then
    TAKITINI_TEST_PART="$name" TAKITINI_PORT_RANGE="$(range "$index")" "$@" 2>&1 | sed -u "s/^/$name │ /"
  else
    TAKITINI_TEST_PART="$name" TAKITINI_PORT_RANGE="$(range "$index")" "$@"
  fi
}
start() {
  local name="$1"; shift
  names+=("$name")
  if [ "${TAKITINI_SUITES_IN_TURN:-}" = "true" ]; then "$@"; pids+=("$?"); else "$@" & pids+=("pid:$!"); fi
}

for ((i = 1; i <= shards; i++)); do
  if [ "$shards" -eq 1 ]; then name=e2e; args=(vitest run); else name="e2e-$i"; args=(vitest run "--shard=$i/$shards"); fi
  start "$name" part "$name" "$((i - 1))" "${args[@]}"
  reports+=("$name=.test-report.$name.json")
done
start faults part faults "$shards" vitest run -c vitest.faults.config.ts
reports+=("faults=faults/.test-report.json")

failed=0
for i in "${!pids[@]}"; do
  case "${pids[$i]}" in
    pid:*) wait "${pids[$i]#pid:}"; status=$? ;;
    *) status="${pids[$i]}" ;;
  esac
  [ "$status" -eq 0 ] || { echo "${names[$i]}: exit $status" >&2; failed=1; }
done

node merge-reports.mjs "${reports[@]}" || failed=1
[ "$types" -eq 0 ] && [ "$failed" -eq 0 ]
