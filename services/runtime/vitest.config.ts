import { fileURLToPath } from "node:url";
import { workspaceTestConfig } from "../../vitest.shared.ts";

// The integration tests start a broker with infra's launcher (test/recovery/broker.ts),
// which imports this package by name: let that be its source, not a build of it.
export default workspaceTestConfig("runtime", {
  alias: { "@takitini/runtime": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
});
