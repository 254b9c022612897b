import type { IntelligenceEvent } from "@takitini/proto";
import type { z } from "zod";
import type { AgencyDefaults } from "./fields.js";
import type { KindHistory } from "./history.js";

export type AgencyCode = "POLICE" | "CUSTOMS" | "MBIE" | "MSD";

/**
 * One kind of native record an agency submits, e.g. Police's organised-crime
 * noting. Everything the three doors need: the schema (zod, strict), the
 * agency's own record id (the idempotency key), and the pure mapping to the
 * typed event. Mapping is pure: the clock is passed in.
 */
export interface RecordKind<N = any> {
  /** Native record type, as named in URLs, gRPC requests and bulk imports: "organised_crime_noting". */
  recordType: string;
  /** Dotted event type the mapping produces: "police.organised_crime_noting". */
  eventType: string;
  /** HTTP path of the JSON door: "/v1/notings". */
  httpPath: string;
  /** One line for the OpenAPI document. */
  summary: string;
  schema: z.ZodType<N>;
  /** The agency's own id of this record; the event id derives from it. */
  nativeId(record: N): string;
  /**
   * Pure. Markings go through `envelope`, which throws `MarkingBelowFloor` for a
   * record's markings below the agency's defaults (the intake answers
   * MARKING_BELOW_FLOOR).
   */
  map(record: N, publishedAt: Date): IntelligenceEvent;
  /** A realistic example record (JSON), used in docs, README and tests. */
  example: unknown;
  /** Seeded synthetic record: same seed and index, same record — dated no later than SYNTHETIC_UNTIL, so always valid. */
  synthesize(rng: () => number, index: number): unknown;
  /** Its part in the demo history (history.ts): volume per district-week and how a synthetic record is placed. Kinds without it have none. */
  history?: KindHistory;
}

/** An agency's adapter: which records it takes and where its events go. */
export interface AgencyAdapter {
  agency: AgencyCode;
  /** Service name, e.g. "police-adapter". */
  service: string;
  /** Default topic, e.g. "takitini.intel.police.v1". */
  topic: string;
  /** Default HTTP and gRPC ports. */
  httpPort: number;
  grpcPort: number;
  kinds: RecordKind[];
  /** The agency's default markings and legal basis for what is not a record kind's: its withdrawals (revisions.ts). */
  defaults: AgencyDefaults;
}

export function kindFor(adapter: AgencyAdapter, recordType: string): RecordKind | undefined {
  return adapter.kinds.find((k) => k.recordType === recordType);
}
