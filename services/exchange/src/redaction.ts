import { IntelligenceEvent } from "@takitini/proto";

/**
 * The one applier of the policy's redactions. Paths use protobuf field names
 * (snake_case) with `[*]` for every element and `[n]` for one, e.g.
 * `subjects[*].person.full_name`. A redacted field is removed, so the delivered
 * event carries its proto default (empty). Paths that match nothing are no-ops.
 * No redaction rule lives here: which paths to remove is the policy's decision.
 */
export function applyRedactions(event: IntelligenceEvent, paths: readonly string[]): IntelligenceEvent {
  if (paths.length === 0) return event;
  const json = IntelligenceEvent.toJSON(event) as Record<string, unknown>;
  for (const path of paths) removePath(json, parsePath(path));
  return IntelligenceEvent.fromJSON(json);
}

type Segment = { key: string } | { index: number | "*" };

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\*|\d+)\]|\./gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < path.length && (m = re.exec(path)) !== null) {
    at = re.lastIndex;
    if (m[1] !== undefined) segments.push({ key: camel(m[1]) });
    else if (m[2] !== undefined) segments.push({ index: m[2] === "*" ? "*" : Number(m[2]) });
  }
  if (at !== path.length || segments.length === 0) throw new Error(`invalid redaction path: ${path}`);
  return segments;
}

function removePath(node: unknown, segments: Segment[]): void {
  const [head, ...rest] = segments;
  if (head === undefined || node === null || typeof node !== "object") return;
  if ("key" in head) {
    const obj = node as Record<string, unknown>;
    if (!Object.hasOwn(obj, head.key)) return;
    if (rest.length === 0) delete obj[head.key];
    else removePath(obj[head.key], rest);
    return;
  }
  if (!Array.isArray(node)) return;
  const targets = head.index === "*" ? node.map((_v, i) => i) : [head.index];
  if (rest.length === 0) {
    // Removing array elements: keep positions stable by blanking them.
    for (const i of targets) if (i < node.length) node[i] = {};
    return;
  }
  for (const i of targets) removePath(node[i], rest);
}
