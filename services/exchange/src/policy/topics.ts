import type { SharingPolicy } from "@takitini/policies";

/**
 * The delivery topics a policy's subscribers need that the cluster does not have.
 * The exchange writes views to them inside its transactions and topics are never
 * auto-created, so a subscriber whose topic is missing would stall the exchange
 * at the first event it is allowed. Pure apart from the injected lister.
 */
export async function missingDeliveryTopics(policy: SharingPolicy, listTopics: () => Promise<string[]>): Promise<string[]> {
  const existing = new Set(await listTopics());
  return policy
    .subscribers()
    .map((s) => s.delivery_topic)
    .filter((t) => !existing.has(t))
    .sort();
}

/** An `accept` hook for ReloadingPolicy: refuse a policy whose delivery topics are not all on the cluster. */
export function requireDeliveryTopics(listTopics: () => Promise<string[]>): (next: SharingPolicy) => Promise<void> {
  return async (next) => {
    const missing = await missingDeliveryTopics(next, listTopics);
    if (missing.length > 0) {
      throw new Error(`delivery topic(s) missing on the cluster: ${missing.join(", ")} (declare them in infra/kafka/topics.json before the subscribers that use them)`);
    }
  };
}
