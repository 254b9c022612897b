import { runAdapter } from "@takitini/adapter-kit";
import { msdAdapter } from "./adapter.js";

await runAdapter(msdAdapter);
