import { logLevel } from "kafkajs";
import { infraKafka, type KafkaAccess } from "./client.js";

/**
 * Make a fresh broker create and load its internal topics now — consumer offsets
 * (the group coordinator) and transaction state (the transaction coordinator) —
 * rather than on the first consumer group join or transaction of a service or
 * test, which would otherwise wait through "coordinator not available/loading"
 * retries. Idempotent and cheap on a warm cluster.
 */
export async function warmUpCoordinators(cluster: KafkaAccess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = infraKafka(cluster, "takitini-warmup", logLevel.NOTHING);
  let last = "no attempt";
  for (;;) {
    const admin = kafka.admin();
    const producer = kafka.producer({ transactionalId: "takitini-warmup", idempotent: true, maxInFlightRequests: 1 });
    try {
      await admin.connect();
      await admin.describeGroups(["takitini-warmup"]); // FindCoordinator(group): creates __consumer_offsets
      await producer.connect();
      const tx = await producer.transaction(); // InitProducerId: creates __transaction_state
      await tx.abort();
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() >= deadline) throw new Error(`the broker's group and transaction coordinators did not come up within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
