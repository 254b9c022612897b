import { createReadStream, createWriteStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parse as parseCsv } from "csv-parse";
import cliProgress from "cli-progress";
import { continueTrace, formatPath, type FieldIssue } from "@takitini/runtime";
import type { Intake } from "./intake.js";

/** One input row: its 1-based line (or CSV record) number and the parsed record, or why it could not be parsed. */
export type Row = { line: number; raw: string; record: unknown } | { line: number; raw: string; error: FieldIssue };

/** Parse one NDJSON line. Blank lines are skipped by the caller. Pure. */
export function parseNdjsonLine(line: number, raw: string): Row {
  try {
    return { line, raw, record: JSON.parse(raw) };
  } catch (err) {
    return { line, raw, error: { path: "", code: "MALFORMED_JSON", message: (err as Error).message } };
  }
}

const TYPED = /^(.*):(number|boolean|list|json)$/;

/**
 * Turn a CSV row into a native record. Headers are field paths — `grading.source`,
 * `persons.0.name` — with an optional type suffix: `:number`, `:boolean`, `:list`
 * (semicolon-separated strings) or `:json`. Empty cells are left out. Pure.
 */
export function csvRowToRecord(header: readonly string[], cells: readonly string[]): { record: Record<string, unknown> } | { error: FieldIssue } {
  if (cells.length !== header.length) return { error: { path: "", code: "CSV_COLUMN_COUNT", message: `expected ${header.length} cells, found ${cells.length}` } };
  const record: Record<string, unknown> = {};
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
        if (existing === undefined) (node as Record<string | number, unknown>)[key] = nextIsIndex ? [] : {};
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
      continue;
    }
    const r = csvRowToRecord(header, record);
    const raw = record.join(",");
    yield "error" in r ? { line: info.lines, raw, error: r.error } : { line: info.lines, raw, record: r.record };
  }
}

export interface ImportSummary {
  file: string;
  recordType: string;
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejectsFile: string | null;
  seconds: number;
}

export interface ImportOptions {
  intake: Intake;
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
 * with its line number and reasons in the rejects file (NDJSON). One bad row
 * never stops the rest.
 */
export async function importFile(opts: ImportOptions): Promise<ImportSummary> {
  const started = process.hrtime.bigint();
  const size = statSync(opts.file).size;
  const bar = opts.progress ? new cliProgress.SingleBar({ format: "{bar} {percentage}% | {rows} rows | {accepted} accepted | {rejected} rejected", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(size, 0, { rows: 0, accepted: 0, rejected: 0 });
  const summary: ImportSummary = { file: opts.file, recordType: opts.recordType, rows: 0, accepted: 0, duplicates: 0, rejected: 0, rejectsFile: null, seconds: 0 };
  let rejects: ReturnType<typeof createWriteStream> | undefined;
  const reject = (line: number, raw: string, code: string, issues: FieldIssue[]) => {
    rejects ??= createWriteStream(opts.rejectsFile, { encoding: "utf8" });
    summary.rejectsFile = opts.rejectsFile;
    summary.rejected++;
    rejects.write(`${JSON.stringify({ line, code, issues, raw })}\n`);
  };
  const trace = continueTrace({});
  let bytes = 0;
  let batch: { line: number; raw: string; record: unknown }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await opts.intake.submitMany(opts.recordType, batch.map((b) => b.record), trace, "bulk");
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
  const rows = opts.format === "csv" ? csvRows(opts.file, (n) => (bytes += n)) : ndjsonRows(opts.file, (n) => (bytes += n));
  for await (const row of rows) {
    summary.rows++;
    if ("error" in row) reject(row.line, row.raw, row.error.code, [row.error]);
    else batch.push(row);
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
    `  accepted   ${s.accepted}`,
    `  duplicates ${s.duplicates} (already published; nothing new written)`,
    `  rejected   ${s.rejected}${s.rejectsFile ? ` — line numbers and reasons in ${s.rejectsFile}` : ""}`,
  ];
  return lines.join("\n");
}
