import { loadTopicDeclarations } from "@takitini/infra";
import { loadSharingPolicy } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";

// Topics are declared once (infra/kafka/topics.json); subscribers and adapters name
// theirs elsewhere. A name that is not declared would stall delivery at runtime.
describe("the topology is declared", () => {
  const declared = new Set(loadTopicDeclarations().map((t) => t.name));
  it("declares every adapter's topic", () => {
    for (const a of [policeAdapter, customsAdapter, mbieAdapter, msdAdapter]) expect(declared, a.topic).toContain(a.topic);
  });
  it("declares every subscriber's delivery topic", async () => {
    const policy = await loadSharingPolicy();
    for (const s of policy.subscribers()) expect(declared, `${s.id} → ${s.delivery_topic}`).toContain(s.delivery_topic);
  });
});
