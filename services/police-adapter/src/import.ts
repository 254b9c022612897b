import { runImportCli } from "@takitini/adapter-kit";
import { policeAdapter } from "./adapter.js";

process.exitCode = await runImportCli(policeAdapter);
