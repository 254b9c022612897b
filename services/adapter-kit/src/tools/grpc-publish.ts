#!/usr/bin/env node
/**
 * Send native records to an adapter's gRPC door.
 *   grpc-publish <host:port> <record_type> <file.json>       unary Publish of one record
 *   grpc-publish <host:port> <record_type> <file.ndjson> --stream   PublishStream of every line
 * Prints the response (or the error code and field issues) as JSON.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient } from "@takitini/proto";
import { GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY } from "../grpc.js";

const [target, recordType, file, flag] = process.argv.slice(2);
if (!target || !recordType || !file) {
  console.error("usage: grpc-publish <host:port> <record_type> <file.json | file.ndjson --stream>");
  process.exit(2);
}
const client = new AdapterServiceClient(target, grpc.credentials.createInsecure());
const text = readFileSync(file, "utf8");
const done = (err: grpc.ServiceError | null, res: unknown) => {
  client.close();
  if (err) {
    const issues = err.metadata?.get(GRPC_ISSUES_KEY)[0];
    console.log(JSON.stringify({ status: grpc.status[err.code], code: err.metadata?.get(GRPC_ERROR_CODE_KEY)[0] ?? null, issues: issues ? JSON.parse(String(issues)) : [], details: err.details }, null, 2));
    process.exitCode = 1;
  } else console.log(JSON.stringify(res, null, 2));
};
if (flag === "--stream") {
  const call = client.publishStream(done);
  for (const line of text.split("\n")) if (line.trim() !== "") call.write({ recordType, record: JSON.parse(line) });
  call.end();
} else {
  client.publish({ recordType, record: JSON.parse(text) }, done);
}
