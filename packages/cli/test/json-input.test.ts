import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import { describe, expect, it } from "vitest";

import { lineColumn, parseJson, readJsonArgument, readJsonObject } from "../src/json-input.js";

describe("JSON input", () => {
  it.each([
    ['{"a": 1,}', 1, 9],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['{"a": 1', 1, 8],
  ])("names line and column of a syntax error in %j", (text, line, column) => {
    expect(() => parseJson(text, { kind: "inline" })).toThrow(
      new RegExp(`at line ${line}, column ${column}`),
    );
  });

  it("shows the offending line with a caret", () => {
    try {
      parseJson('{"title": "x" "y"}', { kind: "file", path: "rec.json" });
      expect.unreachable();
    } catch (err) {
      const e = err as { message: string; hint: string; exitCode: number };
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/^Invalid JSON in rec\.json at line 1, column 15/);
      expect(e.hint).toContain('{"title": "x" "y"}\n                ^');
    }
  });

  it("lineColumn counts from 1", () => {
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });

  it("reads inline JSON, a file and standard input", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-json-"));
    try {
      const file = join(dir, "r.json");
      await writeFile(file, '{"title": "from file"}');
      expect((await readJsonArgument('{"a":1}', {})).value).toEqual({ a: 1 });
      expect((await readJsonArgument(file, {})).value).toEqual({ title: "from file" });
      const stdin = Readable.from([Buffer.from('{"title":'), Buffer.from(' "in"}')]);
      expect((await readJsonArgument("-", { stdin })).value).toEqual({ title: "in" });
      await expect(readJsonArgument(join(dir, "missing.json"), {})).rejects.toThrow(
        "is neither JSON nor an existing file",
      );
      await expect(readJsonObject("[1]", {})).rejects.toThrow("Expected a JSON object");
      await expect(readJsonArgument("-", {})).rejects.toThrow("standard input");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
