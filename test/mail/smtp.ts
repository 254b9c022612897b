/**
 * A real SMTP server for the tests that send email (the briefing's
 * mail.integration.test.ts and the e2e digest-email test): nodemailer's own
 * smtp-server on a free loopback port, plaintext (no STARTTLS, no AUTH), keeping
 * every message it accepted as received — the envelope's recipients and the raw
 * message.
 */
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  raw: string;
}

export interface LocalSmtp {
  port: number;
  received: ReceivedMail[];
  /** Those received for one address. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function localSmtp(): Promise<LocalSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.server.address() as { port: number }).port,
    received,
    to: (address) => received.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A message's header section, unfolded (RFC 5322: a line break before white space is removed). */
export function headersOf(raw: string): string {
  return raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n(?=[ \t])/g, "");
}

/** The URL in a message's List-Unsubscribe header. */
export function listUnsubscribe(raw: string): string | undefined {
  return /^List-Unsubscribe:\s*<([^>]+)>\r?$/m.exec(headersOf(raw))?.[1];
}
