import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { providePostgres, tcpAnswers } from "./provide.js";

describe("providePostgres with DATABASE_URL", () => {
  it("uses the existing server when its port answers, and stops nothing", async () => {
    const srv = createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    try {
      const pg = await providePostgres({ env: { DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/db` } });
      expect(pg).toMatchObject({ mode: "external", url: `postgres://u:p@127.0.0.1:${port}/db` });
      await pg.stop();
      expect(await tcpAnswers("127.0.0.1", port, 1000)).toBe(true);
    } finally {
      srv.close();
    }
  });

  it("fails, without falling back, when DATABASE_URL points at nothing", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(providePostgres({ env: { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/db` }, connectTimeoutMs: 500 })).rejects.toThrow(
      /u:\*\*\*@127\.0\.0\.1.* is set but nothing answers/,
    );
    await expect(providePostgres({ env: { DATABASE_URL: "::not a url" } })).rejects.toThrow(/not a URL/);
  });
});
