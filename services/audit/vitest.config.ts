import { workspaceTestConfig } from "../../vitest.shared.ts";

export default workspaceTestConfig("audit", {
  // The ledger's integration tests run against a real PostgreSQL server (vitest.postgres.ts).
  globalSetup: ["./vitest.postgres.ts"],
  testTimeout: 30_000,
  hookTimeout: 120_000,
});
