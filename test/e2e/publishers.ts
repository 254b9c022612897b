import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ensurePki, pkiFiles } from "@takitini/infra";
import { readEventIdKey, type EventIdKey } from "@takitini/runtime";
import { inject } from "vitest";

/**
 * The agency systems' side of the adapters' mutual-TLS doors: the suite's PKI
 * (the broker's, which provideKafka also fills with the services' server and the
 * publishers' client certificates — infra/pki/publishers), one event-id key per
 * run, and clients that present a publisher certificate.
 */

let pkiDir: string | undefined;
/** The suite's PKI directory (a temporary one when the broker is plaintext). */
export function suitePki(): ReturnType<typeof pkiFiles> {
  if (!pkiDir) {
    const given = inject("kafkaPkiDir");
    pkiDir = given !== "" ? given : ensurePki(mkdtempSync(join(tmpdir(), "takitini-e2e-pki-")), [], { rogue: true });
  }
  return pkiFiles(pkiDir);
}

let keyFile: string | undefined;
/** The adapters' environment for their doors: server certificate, the CA publishers chain to, the shared event-id key. */
export function adapterDoorEnv(service: string): Record<string, string> {
  const pki = suitePki();
  if (!keyFile) {
    keyFile = join(mkdtempSync(join(tmpdir(), "takitini-e2e-key-")), "event-id.key");
    writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  }
  const server = pki.service(service);
  return { EVENT_ID_KEY_FILE: keyFile, HTTP_TLS_CERT_FILE: server.cert, HTTP_TLS_KEY_FILE: server.key, HTTP_TLS_CA_FILE: pki.ca };
}

/** The run's event-id key, as the adapters read it: tests compute the ids they expect with it. */
export function suiteEventIdKey(): EventIdKey {
  adapterDoorEnv("police-adapter");
  return readEventIdKey(keyFile!);
}

/** `spiffe://takitini.local/publisher/<agency>/<system>` of a publisher id (`police/nia`). */
export const spiffeOf = (publisher: string) => `spiffe://takitini.local/publisher/${publisher}`;

/** The default publishing system of each agency in the suite (infra/pki/publishers). */
export const PUBLISHER = { police: "police/nia", customs: "customs/cusmod", mbie: "mbie/ams", msd: "msd/curam" } as const;

export type As = { publisher: string; rogue?: boolean } | { certificate: { cert: string; key: string } } | "none";

/** The publisher of an adapter service (`police-adapter` → `police/nia`). */
export function publisherOf(service: string): string {
  return PUBLISHER[service.replace(/-adapter$/, "") as keyof typeof PUBLISHER];
}

function tlsOptions(as: As) {
  const pki = suitePki();
  if (as === "none") return { ca: readFileSync(pki.ca) };
  const files = "certificate" in as ? as.certificate : pki.publisher(as.publisher, as.rogue ?? false);
  return { ca: readFileSync(pki.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

/** A request to an adapter's HTTPS door as a publishing system (or with no certificate). */
export function publish(url: string, body: unknown, as: As, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: () => any; text: string; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(url, { method: opts.method ?? (payload === undefined ? "GET" : "POST"), headers: { ...(payload === undefined ? {} : { "content-type": "application/json" }), ...opts.headers }, ...tlsOptions(as) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text), headers }));
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** gRPC channel credentials of a publishing system for an adapter's door. */
export function publisherCredentials(as: Exclude<As, "none">): grpc.ChannelCredentials {
  const t = tlsOptions(as) as { ca: Buffer; cert: Buffer; key: Buffer };
  return grpc.credentials.createSsl(t.ca, t.key, t.cert);
}

/** The import CLI's arguments naming a publisher's certificate and key. */
export function importArgs(as: Exclude<As, "none">): string[] {
  const files = "certificate" in as ? as.certificate : suitePki().publisher(as.publisher, as.rogue ?? false);
  return ["--cert", files.cert, "--key", files.key];
}
