import { workspaceTestConfig } from "../vitest.shared.ts";

export default workspaceTestConfig("e2e", {
  include: ["e2e/**/*.test.ts"],
  globalSetup: ["./e2e/global-setup.ts"],
  fileParallelism: false,
  testTimeout: 90_000,
  hookTimeout: 240_000,
});
