import { v5 as uuidv5 } from "uuid";

/** Namespace for every deterministic id the mesh derives (a fixed random UUID). */
export const TAKITINI_NAMESPACE = "6f1d2c8e-3b7a-4f0e-9a51-2d4c6b8e0f17";

/** Deterministic UUID (v5) for a name: the same name always yields the same id. */
export function deterministicId(...parts: string[]): string {
  return uuidv5(parts.join("\u001f"), TAKITINI_NAMESPACE);
}

/** Event id for an agency's native record: resubmitting the record yields the same id. */
export function eventIdFor(agency: string, nativeRecordId: string): string {
  return deterministicId("event", agency, nativeRecordId);
}

/** Decision id for one (event, subscriber) pair: exactly one decision per pair. */
export function decisionIdFor(eventId: string, subscriberId: string): string {
  return deterministicId("decision", eventId, subscriberId);
}
