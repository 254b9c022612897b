import { createReadStream, createWriteStream, fchmodSync, openSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parse as parseCsv } from "csv-parse";
import cliProgress from "cli-progress";
import { continueTrace, formatPath, type FieldIssue } from "@takitini/runtime";
import type { Publisher } from "./identity.js";
import type { Intake } from "./intake.js";
import { FORBIDDEN_KEYS, jsonTextTooDeep, tooDeepIssue } from "./limits.js";
import { importLine } from "./revisions.js";

/** One input row: its 1-based line (or CSV record) number and the parsed record, or why it could not be parsed. */
export type Row = { line: number; raw: string; record: unknown } | { line: number; raw: string; error: FieldIssue };

/** Parse one NDJSON line: its nesting depth is checked before JSON.parse. Blank lines are skipped by the caller. Pure. */
export function parseNdjsonLine(line: number, raw: string): Row {
  if (jsonTextTooDeep(raw)) return { line, raw, error: { ...tooDeepIssue(), code: "TOO_DEEP" } };
  try {
    return { line, raw, record: JSON.parse(raw) };
  } catch (err) {
    return { line, raw, error: { path: "", code: "MALFORMED_JSON", message: (err as Error).message } };
  }
}

const TYPED = /^(.*):(number|boolean|list|json)$/;

/** Highest list index a CSV header may name (`persons.999.name`): no record kind takes lists that long. */
export const CSV_MAX_INDEX = 999;

/** A CSV header that cannot be imported: the issues name each bad column. */
export class CsvHeaderError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(`CSV header refused: ${issues.map((i) => i.message).join("; ")}`);
    this.name = "CsvHeaderError";
  }
}

/**
 * What is wrong with a CSV header, column by column: a path segment `__proto__`,
 * `constructor` or `prototype` (it could reach an object's prototype), or a list
 * index over CSV_MAX_INDEX (a sparse list that long is work for nothing). Pure.
 */
export function csvHeaderIssues(header: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  header.forEach((name, i) => {
    const column = `column ${i + 1} ("${name}")`;
    const path = (TYPED.exec(name)?.[1] ?? name).split(".");
    for (const seg of path) {
      if (FORBIDDEN_KEYS.has(seg)) issues.push({ path: name, code: "FORBIDDEN_KEY", message: `${column}: "${seg}" is not allowed in a field path` });
      else if (/^\d+$/.test(seg) && Number(seg) > CSV_MAX_INDEX) issues.push({ path: name, code: "CSV_HEADER", message: `${column}: list index ${seg} is over ${CSV_MAX_INDEX}` });
    }
  });
  return issues;
}

/**
 * Turn a CSV row into a native record. Headers are field paths — `grading.source`,
 * `persons.0.name` — with an optional type suffix: `:number`, `:boolean`, `:list`
 * (semicolon-separated strings) or `:json`. Empty cells are left out. Objects are
 * built without prototypes (`Object.create(null)`), and a header `csvHeaderIssues`
 * refuses yields an error for every row. Pure.
 */
export function csvRowToRecord(header: readonly string[], cells: readonly string[]): { record: Record<string, unknown> } | { error: FieldIssue } {
  const bad = csvHeaderIssues(header)[0];
  if (bad) return { error: bad };
  if (cells.length !== header.length) return { error: { path: "", code: "CSV_COLUMN_COUNT", message: `expected ${header.length} cells, found ${cells.length}` } };
  const record = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < header.length; i++) {
    const cell = cells[i]!;
    if (cell === "") continue;
    const m = TYPED.exec(header[i]!);
    const path = (m ? m[1]! : header[i]!).split(".");
    let value: unknown = cell;
    switch (m?.[2]) {
      case "number":
        value = cell.trim() === "" || Number.isNaN(Number(cell)) ? cell : Number(cell);
        break;
      case "boolean":
        value = cell === "true" ? true : cell === "false" ? false : cell;
        break;
      case "list":
        value = cell.split(";").map((s) => s.trim()).filter((s) => s !== "");
        break;
      case "json":
        if (jsonTextTooDeep(cell)) return { error: { ...tooDeepIssue(), path: formatPath(path), code: "TOO_DEEP" } };
        try {
          value = JSON.parse(cell);
        } catch {
          return { error: { path: formatPath(path), code: "MALFORMED_JSON", message: "cell is not valid JSON" } };
        }
        break;
    }
    let node: Record<string, unknown> | unknown[] = record;
    for (let s = 0; s < path.length; s++) {
      const seg = path[s]!;
      const key: string | number = /^\d+$/.test(seg) ? Number(seg) : seg;
      const last = s === path.length - 1;
      if (last) {
        (node as Record<string | number, unknown>)[key] = value;
      } else {
        const nextIsIndex = /^\d+$/.test(path[s + 1]!);
        const existing = (node as Record<string | number, unknown>)[key];
        if (existing === undefined) (node as Record<string | number, unknown>)[key] = nextIsIndex ? [] : Object.create(null);
        node = (node as Record<string | number, unknown>)[key] as Record<string, unknown>;
      }
    }
  }
  return { record };
}

async function* ndjsonRows(file: string, onBytes: (n: number) => void): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    onBytes(Buffer.byteLength(raw) + 1);
    if (raw.trim() === "") continue;
    yield parseNdjsonLine(n, raw);
  }
}

async function* csvRows(file: string, onBytes: (n: number) => void): AsyncGenerator<Row> {
  const input = createReadStream(file);
  input.on("data", (chunk) => onBytes(chunk.length));
  const parser = input.pipe(parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record.map((h) => h.trim());
      const issues = csvHeaderIssues(header);
      if (issues.length > 0) throw new CsvHeaderError(issues);
      continue;
    }
    const r = csvRowToRecord(header, record);
    const raw = record.join(",");
    yield "error" in r ? { line: info.lines, raw, error: r.error } : { line: info.lines, raw, record: r.record };
  }
}

/** The rejects file, readable by its owner only — also when it is left over from an earlier run. */
function openRejects(file: string): ReturnType<typeof createWriteStream> {
  const fd = openSync(file, "w", 0o600);
  fchmodSync(fd, 0o600);
  return createWriteStream(file, { fd, encoding: "utf8" });
}

/** The broker did not acknowledge a batch in time: the import stops (rows before `line` were published). */
export class ImportPublishFailed extends Error {
  constructor(
    readonly line: number,
    readonly summary: ImportSummary,
  ) {
    super(`PUBLISH_FAILED: the broker did not acknowledge the batch from line ${line} within PUBLISH_TIMEOUT_MS; the import stopped there (${summary.accepted} rows published before it). Rerun it: rows already published answer as duplicates`);
    this.name = "ImportPublishFailed";
  }
}

export interface ImportSummary {
  file: string;
  recordType: string;
  rows: number;
  accepted: number;
  duplicates: number;
  /** Of the accepted: corrections and withdrawals published. */
  corrections: number;
  withdrawals: number;
  rejected: number;
  rejectsFile: string | null;
  seconds: number;
}

export interface ImportOptions {
  intake: Intake;
  /** The publishing system whose certificate the import presented: every event carries it. */
  by: Publisher;
  recordType: string;
  file: string;
  format: "ndjson" | "csv";
  rejectsFile: string;
  batchSize: number;
  /** Draw a progress bar on stderr (when it is a terminal). */
  progress: boolean;
}

/**
 * Import a file: good rows are published in batches, each bad row is reported
 * with its line number and reasons in the rejects file (NDJSON, created with
 * mode 0600: it holds the rows' raw content). One bad row never stops the rest;
 * a CSV header that cannot be imported stops the import before anything is
 * published (`CsvHeaderError`); a batch the broker does not acknowledge within the
 * publish deadline stops it there (`ImportPublishFailed`).
 */
export async function importFile(opts: ImportOptions): Promise<ImportSummary> {
  const started = process.hrtime.bigint();
  const size = statSync(opts.file).size;
  const bar = opts.progress ? new cliProgress.SingleBar({ format: "{bar} {percentage}% | {rows} rows | {accepted} accepted | {rejected} rejected", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(size, 0, { rows: 0, accepted: 0, rejected: 0 });
  const summary: ImportSummary = { file: opts.file, recordType: opts.recordType, rows: 0, accepted: 0, duplicates: 0, corrections: 0, withdrawals: 0, rejected: 0, rejectsFile: null, seconds: 0 };
  let rejects: ReturnType<typeof createWriteStream> | undefined;
  const reject = (line: number, raw: string, code: string, issues: FieldIssue[]) => {
    rejects ??= openRejects(opts.rejectsFile);
    summary.rejectsFile = opts.rejectsFile;
    summary.rejected++;
    rejects.write(`${JSON.stringify({ line, code, issues, raw })}\n`);
  };
  const trace = continueTrace({});
  let bytes = 0;
  let batch: { line: number; raw: string; record: unknown }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await opts.intake.submitMany(opts.recordType, batch.map((b) => b.record), trace, "bulk", opts.by);
    const failed = outcomes.findIndex((o) => !o.ok && o.code === "PUBLISH_FAILED");
    if (failed >= 0) {
      bar?.stop();
      throw new ImportPublishFailed(batch[failed]!.line, summary);
    }
    outcomes.forEach((o, i) => {
      const row = batch[i]!;
      if (o.ok) {
        if (o.result.duplicate) summary.duplicates++;
        else summary.accepted++;
      } else reject(row.line, row.raw, o.code, o.issues);
    });
    batch = [];
    bar?.update(bytes, { rows: summary.rows, accepted: summary.accepted + summary.duplicates, rejected: summary.rejected });
  };
  /** A correction or withdrawal line: after the rows before it (it may name one of them), on its own. */
  const revise = async (row: { line: number; raw: string }, line: Exclude<ReturnType<typeof importLine>, { kind: "record" }>) => {
    await flush();
    if (line.kind === "invalid") return reject(row.line, row.raw, "VALIDATION_FAILED", line.issues);
    const o =
      line.kind === "correction"
        ? await opts.intake.correct(line.eventId, line.recordType, line.record, trace, "bulk", opts.by, "supersedes")
        : await opts.intake.withdraw(line.eventId, line.request, trace, "bulk", opts.by, "withdraw");
    if (!o.ok && o.code === "PUBLISH_FAILED") {
      bar?.stop();
      throw new ImportPublishFailed(row.line, summary);
    }
    if (!o.ok) return reject(row.line, row.raw, o.code, o.issues);
    if (o.result.duplicate) summary.duplicates++;
    else {
      summary.accepted++;
      if (line.kind === "correction") summary.corrections++;
      else summary.withdrawals++;
    }
  };
  const rows = opts.format === "csv" ? csvRows(opts.file, (n) => (bytes += n)) : ndjsonRows(opts.file, (n) => (bytes += n));
  for await (const row of rows) {
    summary.rows++;
    if ("error" in row) reject(row.line, row.raw, row.error.code, [row.error]);
    else {
      // NDJSON lines may correct or withdraw a record; a CSV row is always a record.
      const line = opts.format === "ndjson" ? importLine(row.record, opts.recordType) : ({ kind: "record", record: row.record } as const);
      if (line.kind === "record") batch.push(row);
      else await revise(row, line);
    }
    if (batch.length >= opts.batchSize) await flush();
  }
  await flush();
  bar?.update(size);
  bar?.stop();
  if (rejects) await new Promise<void>((resolve, reject_) => rejects!.end((err?: Error | null) => (err ? reject_(err) : resolve())));
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `Imported ${s.file} as ${s.recordType} in ${s.seconds.toFixed(1)} s`,
    `  rows       ${s.rows}`,
    `  accepted   ${s.accepted}${s.corrections + s.withdrawals > 0 ? ` (${s.corrections} corrections, ${s.withdrawals} withdrawals)` : ""}`,
    `  duplicates ${s.duplicates} (already published; nothing new written)`,
    `  rejected   ${s.rejected}${s.rejectsFile ? ` — line numbers and reasons in ${s.rejectsFile}` : ""}`,
  ];
  return lines.join("\n");
}
