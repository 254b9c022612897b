import { runAdapter } from "@takitini/adapter-kit";
import { policeAdapter } from "./adapter.js";

await runAdapter(policeAdapter);
