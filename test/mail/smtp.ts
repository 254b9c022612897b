/**
 * A real SMTP server for the tests that send email (the briefing's
 * mail.integration.test.ts and smtp.test.ts, the e2e digest-email test):
 * nodemailer's own smtp-server on a free loopback port, plaintext by default, keeping
 * every message it accepted as received — the envelope's recipients and the raw
 * message. With `tls` it offers STARTTLS and refuses mail before it; with `auth`
 * it requires that user and password.
 */
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** Whether the session was TLS (STARTTLS or implicit) when the message was sent. */
  secure: boolean;
  /** The user the client authenticated as, if any. */
  user?: string | undefined;
}

export interface LocalSmtpOptions {
  /** Offer STARTTLS (and require it before MAIL FROM) with this certificate and key (PEM). */
  tls?: { key: string; cert: string };
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  auth?: { user: string; pass: string };
}

export interface LocalSmtp {
  port: number;
  received: ReceivedMail[];
  /** Those received for one address. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function localSmtp(o: LocalSmtpOptions = {}): Promise<LocalSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: o.auth === undefined,
    disabledCommands: [...(o.tls ? [] : ["STARTTLS"]), ...(o.auth ? [] : ["AUTH"])],
    ...(o.tls ? { key: o.tls.key, cert: o.tls.cert } : {}),
    // Never accept a password over plaintext, nor any mail without TLS when TLS is offered.
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) return callback(null, { user: auth.username });
      return callback(new Error("invalid credentials"));
    },
    onMailFrom(_address, session, callback) {
      if (o.tls && !session.secure) return callback(Object.assign(new Error("STARTTLS first"), { responseCode: 530 }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8"), secure: session.secure, user: session.user as string | undefined });
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
