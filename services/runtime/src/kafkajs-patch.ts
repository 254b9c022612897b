import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * kafkajs is maintained no more, and the mesh depends on fixes to it kept in
 * `patches/kafkajs+2.2.4.patch` (applied by patch-package on `npm install`, tested in
 * `kafkajs-patch.test.ts` and `kafkajs-kip447.test.ts`, on a real broker in
 * `kafkajs-kip447.integration.test.ts`): read_committed consumers dropping every message
 * of an aborted transaction; a send retry that tracks progress per partition; and KIP-447
 * (exactly-once fencing by consumer group metadata) — a transaction's `sendOffsets` takes
 * the consumer's `consumerGroupMetadata` (`{ generationId, memberId, groupInstanceId }`,
 * TxnOffsetCommit v3: the group coordinator refuses a stale generation or member, and
 * sendOffsets rejects at once, never retrying it), `admin.fetchOffsets` takes
 * `requireStable` (OffsetFetch v7: it waits while a transaction holds pending offsets),
 * and the consumer's GROUP_JOIN event carries its `generationId`. With KIP-447 came
 * decoding of flexible versions' tagged fields (stock kafkajs read each one byte short)
 * and sendOffsets retrying a group coordinator that is loading or has moved (stock
 * kafkajs gave up: its list misnamed those errors). Without them the exchange can
 * deliver an aborted view or a duplicate, silently. patch-package
 * exits 0 outside CI when a patch fails to apply, so a service checks at start that the
 * kafkajs it loads is exactly the patched one, and refuses to run otherwise.
 *
 * The digests are of the patched files. Changing the patch means changing them here;
 * `kafkajs-patch.test.ts` fails until they match what `npm install` produces.
 */
export const KAFKAJS_PATCHED = {
  version: "2.2.4",
  files: {
    "src/admin/index.js": "3803989ef4fbddf30b44c38aa629f111ba49c04c8be014e9bd60c4fe627e2559",
    "src/broker/index.js": "3b85a8f3a461d9a9cf8ac274d32db58eed6caf2677cff5d91fbf5c8fbf4cbc2f",
    "src/consumer/consumerGroup.js": "aa177cda8ebeb342afbc023c512d5e2d61df31d14758903407f0b69f0a0aa2a7",
    "src/consumer/filterAbortedMessages.js": "ca2d56b3965f88bba92f431a409fcc675d88a37e281a4cc7b5db9027b675f992",
    "src/producer/eosManager/index.js": "75710d46c5521e5512de4e1a0dfb9fdc3e590664b258cb1a0653410b1551adf4",
    "src/producer/index.js": "f5edd3c8a8149c2dbed8668c91df9d903fd77e9954b4b4426cba52127bab8842",
    "src/producer/sendMessages.js": "e59979d2e56870de6df6b966b18cb3da32977d10fabc135b88fb1ac3365c29d8",
    "src/protocol/decoder.js": "8746d731aabf050d28fc4b77644969cb626ee4e89873ebc5fbfd6048799c8240",
    "src/protocol/requests/offsetFetch/index.js": "c1c875c28edb5d905853973ee6a7bb8146a46f642512892d676b0e5ebc08a577",
    "src/protocol/requests/offsetFetch/v5/request.js": "efc60ae12c866b9806aac56542c67bd1c0064cc61f9b2089441e6b238380b25c",
    "src/protocol/requests/offsetFetch/v5/response.js": "2dec45d0a422dd7a7d116e06bd3bf98c9823c50f99a4831068152f74ee2ecd08",
    "src/protocol/requests/offsetFetch/v6/request.js": "11ebde37e860ce0c9eafb1db99d12af009bcf2faef1ded3a5869c44782fb0c44",
    "src/protocol/requests/offsetFetch/v6/response.js": "64214c8eb352ac87b8aefce7ba795effcfe771c5d15ad90dee11986ce0f74301",
    "src/protocol/requests/offsetFetch/v7/request.js": "e4ac2c34ca3c49fccbba3cc15cc5e73a2bf2ba8ae7ae01497d2ee983dd0058a2",
    "src/protocol/requests/offsetFetch/v7/response.js": "c5d372c17c82fe67677d0e40dd9aee671acf365b1d499b6754e451437382ffb8",
    "src/protocol/requests/txnOffsetCommit/index.js": "4febf88f6fdfac4cbd81f2c75c7288018a467a858707d71e67b781ba98b1b6cf",
    "src/protocol/requests/txnOffsetCommit/v2/request.js": "2f86a8b53c9f547ff0e6cd288d4dde4b42620450eab9b9a81845612744a0de0e",
    "src/protocol/requests/txnOffsetCommit/v2/response.js": "c38c1595bc827b7ccf49f0a43d3b7a96aec3c7a2c2f261df26c2673d0919e67d",
    "src/protocol/requests/txnOffsetCommit/v3/request.js": "d412bcd652ec054222ff8f4ff69a891287acd8f72de9afd930b9f77c3f3293ed",
    "src/protocol/requests/txnOffsetCommit/v3/response.js": "ab4a07820f39865680de3c153146da810c174125f9499bf6c06d64a05a0e7e15",
    "types/index.d.ts": "bbd3fdfab805abcf3905a5acc5a97b1b37a380838e81101af4dcfeee536c553e",
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
