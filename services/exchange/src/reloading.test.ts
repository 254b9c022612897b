import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { DEFAULT_DATA_DIR, DEFAULT_WASM_PATH, loadRegions, SUBSCRIBERS_FILE } from "@takitini/policies";
import { OperationPhase } from "@takitini/proto";
import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { operationUpdate, shippedRegistry } from "./events.fixture.js";
import { policyInput } from "./projection.js";
import { ReloadingPolicy } from "./policy/reloading.js";
import { missingDeliveryTopics, requireDeliveryTopics } from "./policy/topics.js";

/** A policy folder of its own: a copy of the shipped wasm and registry. */
function policyFolder() {
  const dir = mkdtempSync(join(tmpdir(), "takitini-reload-"));
  const wasmPath = join(dir, "policy.wasm");
  copyFileSync(DEFAULT_WASM_PATH, wasmPath);
  copyFileSync(join(DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), join(dir, SUBSCRIBERS_FILE));
  return { dir, wasmPath };
}

/** Write as the build does: a partial file renamed over the real one. */
function replace(path: string, content: string | Buffer) {
  writeFileSync(`${path}.partial`, content);
  renameSync(`${path}.partial`, path);
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger("exchange-test", "info", sink), lines };
}

async function until(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The registry with MSD's support-notice agreement withdrawn. */
function withoutSupportNotice() {
  const r = shippedRegistry();
  const msd = r.msd as { agreements: { id: string }[] };
  msd.agreements = msd.agreements.filter((a) => a.id !== "msd-police-support-notice");
  return JSON.stringify(r, null, 2);
}

const resolution = () => policyInput(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION), "msd");

const open: ReloadingPolicy[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

async function start(folder: ReturnType<typeof policyFolder>) {
  const log = capture();
  const metrics = createMetricsRegistry("exchange-test");
  const source = await ReloadingPolicy.start({ wasmPath: folder.wasmPath, dataDir: folder.dir, logger: log.logger, metrics, debounceMs: 20, pollMs: 0 });
  open.push(source);
  return { source, log, metrics };
}

describe("hot reload", () => {
  it("picks up an edited registry without a restart, and decisions record the new revision", async () => {
    const folder = policyFolder();
    const { source, log } = await start(folder);
    const before = source.current();
    expect(before.decide(resolution())).toMatchObject({ allow: true, policy_revision: before.revision });

    replace(join(folder.dir, SUBSCRIBERS_FILE), withoutSupportNotice());
    await until(() => source.current().revision !== before.revision);

    const after = source.current();
    expect(after.decide(resolution())).toMatchObject({ allow: false, reasons: expect.arrayContaining(["sharing.default_deny"]), policy_revision: after.revision });
    // The policy a chunk started with keeps deciding as it did: the swap is per chunk, not mid-way.
    expect(before.decide(resolution())).toMatchObject({ allow: true, policy_revision: before.revision });
    expect(log.lines.find((l) => l.msg === "policy reloaded")).toMatchObject({ from: before.revision, to: after.revision });
  });

  it("picks up a newly built wasm", async () => {
    const folder = policyFolder();
    const { source } = await start(folder);
    const before = source.current().revision;
    // Any other valid build will do: the shipped wasm with a custom section appended.
    const wasm = readFileSync(DEFAULT_WASM_PATH);
    replace(folder.wasmPath, Buffer.concat([wasm, Buffer.from([0x00, 0x05, 0x04, 0x74, 0x65, 0x73, 0x74])]));
    await until(() => source.current().revision !== before);
    expect(source.current().decide(resolution()).policy_revision).toBe(source.current().revision);
  });

  it("rejects a bad build, logs it, and keeps deciding with the running policy", async () => {
    const folder = policyFolder();
    const { source, log, metrics } = await start(folder);
    const running = source.current().revision;

    replace(folder.wasmPath, "not wasm at all");
    await until(() => log.lines.some((l) => l.msg === "new policy rejected; keeping the running one"));
    expect(source.current().revision).toBe(running);
    expect(source.current().decide(resolution())).toMatchObject({ allow: true, policy_revision: running });
    expect(log.lines.find((l) => l.msg === "new policy rejected; keeping the running one")).toMatchObject({ level: "error", revision: running, error: expect.stringMatching(/not a loadable OPA wasm module/) });
    expect(await metrics.getSingleMetricAsString("exchange_policy_reloads_total")).toMatch(/outcome="rejected"[^}]*\} 1$/m);

    // Fixed: the next build is picked up.
    replace(folder.wasmPath, readFileSync(DEFAULT_WASM_PATH));
    replace(join(folder.dir, SUBSCRIBERS_FILE), withoutSupportNotice());
    await until(() => source.current().revision !== running);
  });

  it.each([
    ["a registry that is not JSON", "{"],
    ["a registry zod rejects", JSON.stringify({ msd: { tier: "friend" } })],
    ["a registry the policy cannot judge", JSON.stringify({ ...shippedRegistry(), msd: { ...shippedRegistry().msd, agreements: [{ id: "x", rule: "sharing.x", source_agency: "POLICE", event_types: ["police.gossip"], view: "full", redact: [], legal_basis: "b" }] } })],
  ])("rejects %s", async (_name, text) => {
    const folder = policyFolder();
    const { source } = await start(folder);
    const running = source.current().revision;
    writeFileSync(join(folder.dir, SUBSCRIBERS_FILE), text);
    const outcome = await source.reloadIfChanged();
    expect(outcome).toMatchObject({ outcome: "rejected", revision: running });
    expect(source.current().revision).toBe(running);
    // Reported once: the same bad files are not retried on every poll.
    expect(await source.reloadIfChanged()).toEqual({ outcome: "unchanged", revision: running });
  });

  it("does nothing when the files did not change", async () => {
    const folder = policyFolder();
    const { source } = await start(folder);
    expect(await source.reloadIfChanged()).toEqual({ outcome: "unchanged", revision: source.current().revision });
    // Rewritten with the same bytes: reloaded, same revision, nothing swapped.
    replace(join(folder.dir, SUBSCRIBERS_FILE), readFileSync(join(folder.dir, SUBSCRIBERS_FILE)));
    expect(await source.reloadIfChanged()).toEqual({ outcome: "unchanged", revision: source.current().revision });
  });

  it("finds a change by polling when no file event arrives", async () => {
    const folder = policyFolder();
    const polled = await ReloadingPolicy.start({ wasmPath: folder.wasmPath, dataDir: folder.dir, logger: capture().logger, pollMs: 50, watchFiles: false });
    open.push(polled);
    const before = polled.current().revision;
    replace(join(folder.dir, SUBSCRIBERS_FILE), withoutSupportNotice());
    await until(() => polled.current().revision !== before);
  });

  it("lets the last of overlapping reloads win", async () => {
    const folder = policyFolder();
    const { source } = await start(folder);
    const first = source.reload();
    replace(join(folder.dir, SUBSCRIBERS_FILE), withoutSupportNotice());
    const second = source.reload();
    await Promise.all([first, second]);
    expect(source.current().decide(resolution()).allow).toBe(false);
  });

  it("will not start without a loadable policy", async () => {
    await expect(ReloadingPolicy.start({ wasmPath: "/nonexistent/policy.wasm", logger: capture().logger })).rejects.toThrow(/cannot read the compiled policy/);
  });
});

describe("the exchange's last check on a new policy", () => {
  it("rejects a registry whose new subscriber's delivery topic the cluster does not have", async () => {
    const folder = policyFolder();
    const cluster = Object.values(shippedRegistry()).map((s) => (s as { delivery_topic: string }).delivery_topic);
    const log = capture();
    const source = await ReloadingPolicy.start({ wasmPath: folder.wasmPath, dataDir: folder.dir, logger: log.logger, pollMs: 0, watchFiles: false, accept: requireDeliveryTopics(async () => cluster) });
    open.push(source);
    const running = source.current().revision;
    const registry = { ...shippedRegistry(), corrections: { ...shippedRegistry().customs, name: "Corrections", agency: "CORRECTIONS", delivery_topic: "takitini.deliver.corrections.v1" } };
    writeFileSync(join(folder.dir, SUBSCRIBERS_FILE), JSON.stringify(registry));
    expect(await source.reloadIfChanged()).toMatchObject({ outcome: "rejected", error: expect.stringMatching(/takitini\.deliver\.corrections\.v1/) });
    expect(source.current().revision).toBe(running);

    cluster.push("takitini.deliver.corrections.v1");
    replace(join(folder.dir, SUBSCRIBERS_FILE), JSON.stringify(registry, null, 1));
    expect(await source.reloadIfChanged()).toMatchObject({ outcome: "loaded" });
    expect(source.current().subscribers().map((s) => s.id)).toContain("corrections");
  });

  it("lists exactly the missing topics", async () => {
    const source = await ReloadingPolicy.start({ logger: capture().logger, pollMs: 0, watchFiles: false });
    open.push(source);
    const policy = source.current();
    const communities = loadRegions().regions.map((r) => `takitini.deliver.community-${r.slug}.v1`);
    expect(await missingDeliveryTopics(policy, async () => ["takitini.deliver.customs.v1", "takitini.deliver.msd.v1", ...communities.slice(1)])).toEqual([
      "takitini.deliver.aus-abf.v1",
      "takitini.deliver.aus-afp.v1",
      communities[0],
      "takitini.deliver.fji-police.v1",
      "takitini.deliver.gbr-nca.v1",
      "takitini.deliver.mbie.v1",
      "takitini.deliver.oranga-tamariki.v1",
      "takitini.deliver.police.v1",
      "takitini.deliver.public.v1",
    ]);
  });
});
