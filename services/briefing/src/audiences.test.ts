import { loadSharingPolicy } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { audiencesFrom } from "./audiences.js";

describe("briefing audiences, from the registry", () => {
  it("are the community leaders and the public only: foreign partners (served over HTTPS by the exchange) get no briefing", async () => {
    const subscribers = (await loadSharingPolicy()).subscribers();
    const registry = Object.fromEntries(subscribers.map(({ id, ...record }) => [id, record]));
    const foreign = subscribers.filter((s) => s.tier === "foreign_partner").map((s) => s.id);
    expect(foreign).toEqual(["aus-abf", "aus-afp", "fji-police", "gbr-nca"]);
    const { leaders, public: pub } = audiencesFrom(registry, { publicSubscriber: "public" });
    const audiences = [...leaders.keys(), pub.subscriberId];
    expect(audiences.sort()).toEqual(subscribers.filter((s) => s.tier === "community_leader" || s.tier === "public").map((s) => s.id).sort());
    for (const id of foreign) expect(audiences).not.toContain(id);
  });
});
