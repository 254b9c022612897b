/**
 * What the audit's `/readyz` means for the writer's side (the `ledger-writer`
 * check; the `database` check is separate). Pure.
 *
 * - active: ready while ingesting — its consumer is in the group and has
 *   fetched from the broker or appended a batch within the stall window.
 * - standby: ready while its lock session answers (it last tried the lock
 *   within the lock window), so it can take over; it serves the API meanwhile.
 * - starting, stopped: not ready.
 */
import type { WriterRole } from "./election.js";

export interface WriterReadinessInputs {
  role: WriterRole;
  /** The ingest's consumer is running and has made progress within the stall window (LedgerIngest.isReady). */
  ingesting: boolean;
  /** The lock's session answered within the lock window (WriterElection.lockHealthy). */
  lockAnswering: boolean;
}

export function writerReady(i: WriterReadinessInputs): { ready: boolean; reason: string } {
  switch (i.role) {
    case "active":
      return i.ingesting ? { ready: true, reason: "active writer, ingesting" } : { ready: false, reason: "active writer, not ingesting" };
    case "standby":
      return i.lockAnswering ? { ready: true, reason: "standby, polling the writer's lock" } : { ready: false, reason: "standby, the writer's lock cannot be tried" };
    default:
      return { ready: false, reason: i.role };
  }
}
