import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * kafkajs is maintained no more, and the mesh depends on two fixes to it kept in
 * `patches/kafkajs+2.2.4.patch` (applied by patch-package on `npm install`, tested in
 * `kafkajs-patch.test.ts`): read_committed consumers dropping every message of an
 * aborted transaction, and a send retry that tracks progress per partition. Without
 * them the exchange can deliver an aborted view or a duplicate, silently. patch-package
 * exits 0 outside CI when a patch fails to apply, so a service checks at start that the
 * kafkajs it loads is exactly the patched one, and refuses to run otherwise.
 *
 * The digests are of the patched files. Changing the patch means changing them here;
 * `kafkajs-patch.test.ts` fails until they match what `npm install` produces.
 */
export const KAFKAJS_PATCHED = {
  version: "2.2.4",
  files: {
    "src/consumer/filterAbortedMessages.js": "ca2d56b3965f88bba92f431a409fcc675d88a37e281a4cc7b5db9027b675f992",
    "src/producer/sendMessages.js": "e59979d2e56870de6df6b966b18cb3da32977d10fabc135b88fb1ac3365c29d8",
  },
} as const;

/** The kafkajs this package loads is not the patched one: refuse to start. */
export class KafkajsUnpatchedError extends Error {
  readonly code = "KAFKAJS_UNPATCHED";
  constructor(
    readonly root: string,
    readonly problems: string[],
  ) {
    super(
      `KAFKAJS_UNPATCHED: kafkajs at ${root} is not the patched ${KAFKAJS_PATCHED.version} the mesh needs (${problems.join("; ")}). ` +
        "Run `npm install` at the repository root (patch-package applies patches/kafkajs+2.2.4.patch) and start again.",
    );
    this.name = "KafkajsUnpatchedError";
  }
}

/** What differs between the kafkajs installed at `root` and the patched one: empty when it is in place. */
export function kafkajsPatchProblems(root: string, read: (path: string) => Buffer = readFileSync): string[] {
  const problems: string[] = [];
  let version: unknown;
  try {
    version = (JSON.parse(read(join(root, "package.json")).toString("utf8")) as { version?: unknown }).version;
  } catch {
    return ["package.json unreadable"];
  }
  if (version !== KAFKAJS_PATCHED.version) problems.push(`version ${String(version)}, expected ${KAFKAJS_PATCHED.version}`);
  for (const [file, want] of Object.entries(KAFKAJS_PATCHED.files)) {
    let got: string;
    try {
      got = createHash("sha256").update(read(join(root, file))).digest("hex");
    } catch {
      problems.push(`${file} missing`);
      continue;
    }
    if (got !== want) problems.push(`${file} is not the patched file`);
  }
  return problems;
}

/** Where the kafkajs this package imports is installed. */
export function kafkajsRoot(): string {
  return dirname(createRequire(import.meta.url).resolve("kafkajs/package.json"));
}

const found = new Set<string>();

/** Throws `KafkajsUnpatchedError` unless the kafkajs at `root` (the loaded one) is the patched one; reads each root once per process. */
export function assertKafkajsPatched(root: string = kafkajsRoot()): void {
  if (found.has(root)) return;
  const problems = kafkajsPatchProblems(root);
  if (problems.length > 0) throw new KafkajsUnpatchedError(root, problems);
  found.add(root);
}
