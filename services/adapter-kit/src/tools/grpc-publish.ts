#!/usr/bin/env node
/**
 * Send native records to an adapter's gRPC door (mutual TLS), as an agency system.
 *   grpc-publish <host:port> <record_type> <file.json> [--as <agency/system>]       unary Publish of one record
 *   grpc-publish <host:port> <record_type> <file.ndjson> --stream [--as <agency/system>]   PublishStream of every line
 * The publisher's certificate: --cert/--key (or PUBLISHER_CERT_FILE/PUBLISHER_KEY_FILE),
 * else `--as police/nia` from the local PKI (TAKITINI_PKI_DIR, default .takitini/pki:
 * publisher/<agency>/<system>.crt); the CA: --ca, else that PKI's ca.crt.
 * Prints the response (or the error code and field issues) as JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient } from "@takitini/proto";
import { GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY } from "../grpc.js";

const usage = "usage: grpc-publish <host:port> <record_type> <file.json | file.ndjson --stream> [--as <agency/system> | --cert <crt> --key <key>] [--ca <ca.crt>]";
let args;
try {
  args = parseArgs({ allowPositionals: true, options: { stream: { type: "boolean" }, as: { type: "string" }, cert: { type: "string" }, key: { type: "string" }, ca: { type: "string" } } });
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const [target, recordType, file] = args.positionals;
if (!target || !recordType || !file) {
  console.error(usage);
  process.exit(2);
}
const pki = process.env["TAKITINI_PKI_DIR"] || join(process.cwd(), ".takitini", "pki");
const as = args.values.as;
const certFile = args.values.cert ?? process.env["PUBLISHER_CERT_FILE"] ?? (as ? join(pki, "publisher", `${as}.crt`) : undefined);
const keyFile = args.values.key ?? process.env["PUBLISHER_KEY_FILE"] ?? (as ? join(pki, "publisher", `${as}.key`) : undefined);
if (!certFile || !keyFile) {
  console.error(`PUBLISHER_CERTIFICATE_REQUIRED: say which agency system you are (--as police/nia) or give --cert and --key\n${usage}`);
  process.exit(2);
}
const client = new AdapterServiceClient(target, grpc.credentials.createSsl(readFileSync(args.values.ca ?? join(pki, "ca.crt")), readFileSync(keyFile), readFileSync(certFile)));
const text = readFileSync(file, "utf8");
const done = (err: grpc.ServiceError | null, res: unknown) => {
  client.close();
  if (err) {
    const issues = err.metadata?.get(GRPC_ISSUES_KEY)[0];
    console.log(JSON.stringify({ status: grpc.status[err.code], code: err.metadata?.get(GRPC_ERROR_CODE_KEY)[0] ?? null, issues: issues ? JSON.parse(String(issues)) : [], details: err.details }, null, 2));
    process.exitCode = 1;
  } else console.log(JSON.stringify(res, null, 2));
};
if (args.values.stream) {
  const call = client.publishStream(done);
  for (const line of text.split("\n")) if (line.trim() !== "") call.write({ recordType, record: JSON.parse(line) });
  call.end();
} else {
  client.publish({ recordType, record: JSON.parse(text) }, done);
}
