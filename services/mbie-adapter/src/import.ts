import { runImportCli } from "@takitini/adapter-kit";
import { mbieAdapter } from "./adapter.js";

process.exitCode = await runImportCli(mbieAdapter);
