import { runAdapter } from "@takitini/adapter-kit";
import { mbieAdapter } from "./adapter.js";

await runAdapter(mbieAdapter);
