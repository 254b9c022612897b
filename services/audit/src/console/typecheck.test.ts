import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The console's browser modules are plain JavaScript with JSDoc types, checked
 * as strict TypeScript against the DOM library (console/tsconfig.json). The
 * service's build does not see them, so the suite runs the check.
 */
describe("the console's browser modules", () => {
  it("type-check under strict settings", () => {
    const configPath = fileURLToPath(new URL("../../console/tsconfig.json", import.meta.url));
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    expect(read.error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, fileURLToPath(new URL("../../console/", import.meta.url)));
    expect(parsed.fileNames.length).toBeGreaterThan(10);
    expect(parsed.options.strict && parsed.options.checkJs).toBe(true);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(/^.*\/console\//, "console/")}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(diagnostics).toEqual([]);
  }, 60_000);
});
