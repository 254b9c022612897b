#!/usr/bin/env node
/**
 * Subscribe to a partner's deliveries over gRPC with mutual TLS, as a partner would:
 *
 *   npm run subscribe -- --as customs [--cursor <cursor>] [--limit N] [--idle-ms N]
 *
 * Prints one JSON line per delivery (the view, its decision and the cursor after
 * it) on stdout; on exit prints the last cursor on stderr, to resume from.
 * Certificates come from infra/pki/issue.sh's directory (TAKITINI_PKI_DIR, default
 * <repo>/.takitini/pki, where npm start issues them) for `--as <subscriber>`, or
 * explicitly with --cert/--key/--ca.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { LOCAL_PKI_DIR } from "./local.js";
import { DeliveryServiceClient, AggregateView, IntelligenceEvent, LinkAlertView, SupportNotice, WithdrawalNotice, type SubscribeResponse } from "@takitini/proto";

const usage = `usage: subscribe --as <subscriber> | --cert <pem> --key <pem> [--ca <pem>]
       [--target host:port] [--subscriber <id>] [--cursor <cursor>] [--limit N] [--idle-ms N] [--traceparent <tp>]`;

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      as: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
      target: { type: "string", default: `localhost:${process.env.GRPC_PORT ?? "9082"}` },
      subscriber: { type: "string", default: "" },
      cursor: { type: "string", default: "" },
      limit: { type: "string" },
      "idle-ms": { type: "string" },
      traceparent: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
}
try {
  args = parse();
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const v = args.values;
if (v.help) {
  console.error(usage);
  process.exit(0);
}
const pki = LOCAL_PKI_DIR;
const certPath = v.cert ?? (v.as ? join(pki, "subscriber", `${v.as}.crt`) : undefined);
const keyPath = v.key ?? (v.as ? join(pki, "subscriber", `${v.as}.key`) : undefined);
const caPath = v.ca ?? join(pki, "ca.crt");
if (!certPath || !keyPath) {
  console.error(`a client certificate is required\n${usage}`);
  process.exit(2);
}
const whole = (name: string, s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < 1) {
    console.error(`--${name} must be a positive whole number`);
    process.exit(2);
  }
  return Number(s);
};
const limit = whole("limit", v.limit);
const idleMs = whole("idle-ms", v["idle-ms"]);

let credentials: grpc.ChannelCredentials;
try {
  credentials = grpc.credentials.createSsl(readFileSync(caPath), readFileSync(keyPath), readFileSync(certPath));
} catch (err) {
  console.error(`cannot read the certificate files: ${(err as Error).message} (issue them with: bash infra/pki/issue.sh)`);
  process.exit(2);
}
const client = new DeliveryServiceClient(v.target, credentials);
const metadata = new grpc.Metadata();
if (v.traceparent) metadata.set("traceparent", v.traceparent);
const call = client.subscribe({ subscriberId: v.subscriber, cursor: v.cursor }, metadata);

let count = 0;
let lastCursor = v.cursor;
let idle: NodeJS.Timeout | undefined;
let finishing = false;
const armIdle = () => {
  if (idleMs === undefined) return;
  clearTimeout(idle);
  idle = setTimeout(() => finish(0), idleMs);
};
function finish(code: number) {
  if (finishing) return;
  finishing = true;
  clearTimeout(idle);
  call.cancel();
  client.close();
  if (code === 0 || count > 0) console.error(`${count} deliver${count === 1 ? "y" : "ies"}; resume with --cursor ${lastCursor || "''"}`);
  process.exitCode = code;
}

armIdle();
call.on("data", (r: SubscribeResponse) => {
  if (finishing) return;
  count++;
  lastCursor = r.cursor;
  console.log(
    JSON.stringify({
      cursor: r.cursor,
      decision_id: r.decisionId,
      policy_revision: r.policyRevision,
      view: r.view,
      traceparent: r.traceparent,
      event: r.event ? IntelligenceEvent.toJSON(r.event) : null,
      aggregate: r.aggregate ? AggregateView.toJSON(r.aggregate) : null,
      link_alert: r.linkAlert ? LinkAlertView.toJSON(r.linkAlert) : null,
      withdrawal_notice: r.withdrawalNotice ? WithdrawalNotice.toJSON(r.withdrawalNotice) : null,
      support_notice: r.supportNotice ? SupportNotice.toJSON(r.supportNotice) : null,
    }),
  );
  if (limit !== undefined && count >= limit) finish(0);
  else armIdle();
});
call.on("error", (err: grpc.ServiceError) => {
  if (finishing) return;
  // details start with the stable code (e.g. "NOT_OWN_STREAM: …"); a handshake failure has none.
  console.error(`subscribe failed: ${grpc.status[err.code] ?? err.code}: ${err.details}`);
  finish(1);
});
call.on("end", () => finish(0));
process.once("SIGINT", () => finish(0));
process.once("SIGTERM", () => finish(0));
