/**
 * V8 flags every service process runs with, wherever it runs: the supervisor
 * (`npm start`), the benchmarks, and the Helm chart's `NODE_OPTIONS`
 * (`infra/helm/takitini/values.yaml`, checked against this list by
 * `k8s/chart.test.ts`).
 *
 * `--max-semi-space-size=8` (MiB): under load V8 grows the young generation to
 * 128 MiB by default on this machine (three semi-spaces of up to 32 MiB and more,
 * read off `nodejs_heap_space_size_total_bytes{space="new"}` during bench:e2e),
 * and keeps it. That alone put each service 100 MiB over the 200 MiB the
 * performance issue allows. At 8 MiB the young generation is scavenged more often
 * — cheap, as nearly everything a service allocates per record dies young — and
 * the measured throughput did not drop (test/bench/README.md, "Memory").
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];
