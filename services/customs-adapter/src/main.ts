import { runAdapter } from "@takitini/adapter-kit";
import { customsAdapter } from "./adapter.js";

await runAdapter(customsAdapter);
