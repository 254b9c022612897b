import { runImportCli } from "@takitini/adapter-kit";
import { msdAdapter } from "./adapter.js";

process.exitCode = await runImportCli(msdAdapter);
