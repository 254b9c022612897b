/**
 * V8 flags every service process runs with, wherever it runs: the supervisor
 * (`npm start`), the benchmarks, and the Helm chart's container command
 * (`infra/helm/takitini/values.yaml` `defaults.nodeFlags`, checked against this
 * list by `k8s/chart.test.ts`; on node's command line because NODE_OPTIONS may
 * not carry `--heap-growing-percent`).
 *
 * `--max-semi-space-size=8` (MiB): under load V8 grows the young generation to
 * 128 MiB by default on this machine (three semi-spaces of up to 32 MiB and more,
 * read off `nodejs_heap_space_size_total_bytes{space="new"}` during bench:e2e),
 * and keeps it. That alone put each service 100 MiB over the 200 MiB the
 * performance issue allows. At 8 MiB the young generation is scavenged more often
 * — cheap, as nearly everything a service allocates per record dies young — and
 * the measured throughput did not drop (test/bench/README.md, "Memory").
 *
 * `--heap-growing-percent=20`: a major collection once the old generation has grown
 * by a fifth since the last, not by up to four times (V8's factor when it sees a
 * high allocation rate). A heap snapshot of the audit and the exchange under
 * bench:e2e's load found about 35 MiB live in each while their heaps stood at
 * 125–160 MiB used: the rest was garbage waiting for a collection, holding the
 * fetch buffers it referenced (30–40 MiB of external memory) with it. With the flag
 * their heaps peaked at 62–71 MiB, external memory at 9–20 MiB, and throughput held
 * (test/bench/README.md). It is not a limit: a service whose live data is large
 * (the linkage index) grows as before, collecting more often.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--heap-growing-percent=20"];
