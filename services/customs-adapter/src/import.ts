import { runImportCli } from "@takitini/adapter-kit";
import { customsAdapter } from "./adapter.js";

process.exitCode = await runImportCli(customsAdapter);
