import { randomUUID } from "node:crypto";
import { OversightQueryRecord } from "@takitini/proto";
import type { BatchOutcome, Ledger } from "../ledger/index.js";
import { appendRecords } from "../ingest.js";
import { fromOversightQuery } from "./records.js";

/**
 * How an oversight query — over HTTP or gRPC, answered, refused or failed — is
 * itself recorded in the ledger before its answer leaves. Both doors call
 * `recordOversightQuery`; if the append fails the caller withholds the answer.
 */

export interface OversightQuery {
  /** Who asked: the name of the account whose credential was accepted; empty when none was presented or it was refused. */
  officer: string;
  /** That account's role (`reviewer`, `administrator`); empty with the name. */
  role: string;
  channel: "http" | "grpc";
  /** HTTP method, or the RPC name (e.g. "SearchRecords"). */
  method: string;
  /** Route pattern, or the gRPC method path. */
  route: string;
  /** What was asked, by name; absent values are left out. */
  parameters: Readonly<Record<string, unknown>>;
  /** HTTP status or gRPC status code answered. */
  status: number;
  /** How many records the answer held. */
  resultCount: number;
}

const MAX_NAME = 100;
const MAX_VALUE = 500;
const MAX_ROUTE = 200;

/** Parameters as recorded: bounded, stringified, sorted by name; undefined and null left out. */
export function queryParameters(parameters: Readonly<Record<string, unknown>>): { name: string; value: string }[] {
  return Object.entries(parameters)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => ({ name: name.slice(0, MAX_NAME), value: (value instanceof Date ? value.toISOString() : String(value)).slice(0, MAX_VALUE) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The record of one query (pure). */
export function oversightQueryRecord(q: OversightQuery, id: string, at: Date): OversightQueryRecord {
  const record = OversightQueryRecord.fromPartial({
    id,
    officer: q.officer,
    channel: q.channel,
    method: q.method.slice(0, MAX_NAME),
    route: q.route.slice(0, MAX_ROUTE),
    parameters: queryParameters(q.parameters),
    status: q.status,
    resultCount: q.resultCount,
    occurredAt: at,
    officerRole: q.role.slice(0, MAX_NAME),
  });
  return record;
}

/** Append one oversight query to the ledger (leaf and search index, one transaction). */
export async function recordOversightQuery(ledger: Ledger, q: OversightQuery, now: Date = new Date()): Promise<BatchOutcome> {
  return appendRecords(ledger, [fromOversightQuery(oversightQueryRecord(q, randomUUID(), now), now)]);
}
