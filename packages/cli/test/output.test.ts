import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import {
  Output,
  cell,
  colorEnabled,
  defaultFormat,
  fitColumns,
  printable,
  wrapText,
} from "../src/output.js";
import type { Format } from "../src/output.js";

function capture(format: Format, color = false, quiet = false) {
  let out = "";
  let err = "";
  const o = new Output(
    {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: {},
    },
    { format, color, quiet, verbose: false },
  );
  return { o, out: () => out, err: () => err };
}

const rows = [
  { name: "a", tags: ["x", "y"], ok: true, n: 1 },
  { name: "b", tags: [], ok: false, n: null },
];
const columns = [{ key: "name" }, { key: "tags" }, { key: "ok", header: "OK" }, { key: "n" }];

describe("Output", () => {
  it("renders a list as a table without colour codes", () => {
    const c = capture("table");
    c.o.list(rows, columns);
    expect(c.out()).toContain("│ name │ tags ");
    expect(c.out()).toContain("│ a    │ x, y │ yes │ 1 │");
    expect(c.out()).not.toContain("\u001b[");
  });

  it("renders a list as one pretty JSON document, JSON lines, or YAML", () => {
    const json = capture("json");
    json.o.list(rows, columns);
    expect(JSON.parse(json.out())).toEqual(rows);
    expect(json.out()).toContain('\n  {\n    "name": "a"');

    const jsonl = capture("jsonl");
    jsonl.o.list(rows, columns);
    expect(jsonl.out()).toBe(rows.map((r) => JSON.stringify(r)).join("\n") + "\n");

    const yaml = capture("yaml");
    yaml.o.list(rows, columns);
    expect(parseYaml(yaml.out())).toEqual(rows);
  });

  it("renders a record as a key/value table or as the data", () => {
    const table = capture("table");
    table.o.record(
      [
        ["name", "x"],
        ["list", ["a", "b"]],
      ],
      { ignored: true },
    );
    expect(table.out()).toMatch(/│ name │ x\s+│/);
    expect(table.out()).toMatch(/│ list │ a, b │/);
    const json = capture("json");
    json.o.record([["name", "x"]], { name: "x", raw: 1 });
    expect(JSON.parse(json.out())).toEqual({ name: "x", raw: 1 });
  });

  it("result() prints only in machine formats; info() respects --quiet", () => {
    const table = capture("table");
    table.o.result({ a: 1 });
    table.o.info("hello");
    expect(table.out()).toBe("");
    expect(table.err()).toBe("hello\n");
    const quiet = capture("json", false, true);
    quiet.o.result({ a: 1 });
    quiet.o.info("hello");
    quiet.o.warn("careful");
    expect(JSON.parse(quiet.out())).toEqual({ a: 1 });
    expect(quiet.err()).toBe("Warning: careful\n");
  });

  it("chooses table on a terminal and json otherwise", () => {
    expect(defaultFormat({ stdout: { write: () => true, isTTY: true } })).toBe("table");
    expect(defaultFormat({ stdout: { write: () => true } })).toBe("json");
  });

  it("allows colour only on a terminal without NO_COLOR or --no-color", () => {
    const tty = { write: () => true, isTTY: true };
    expect(colorEnabled({ stdout: tty, env: {} }, true)).toBe(true);
    expect(colorEnabled({ stdout: tty, env: { NO_COLOR: "1" } }, true)).toBe(false);
    expect(colorEnabled({ stdout: tty, env: {} }, false)).toBe(false);
    expect(colorEnabled({ stdout: { write: () => true }, env: {} }, true)).toBe(false);
  });

  it("formats cells", () => {
    expect([
      cell(undefined),
      cell(null),
      cell(true),
      cell(3),
      cell(["a", 1]),
      cell({ a: 1 }),
    ]).toEqual(["", "", "yes", "3", "a, 1", '{"a":1}']);
  });

  it.each([
    ["short", 10, "short"],
    ["one two three", 7, "one two\nthree"],
    ["http://host/a/very/long/path", 10, "http://hos\nt/a/very/l\nong/path"],
    ["a\nb", 5, "a\nb"],
    ["anything", Infinity, "anything"],
  ])("wrapText(%j, %d)", (text, width, expected) => {
    expect(wrapText(text, width)).toBe(expected);
  });

  it("wraps a key/value table to the terminal width without losing characters", () => {
    let out = "";
    const o = new Output(
      {
        stdout: { write: (s: string) => (out += s), columns: 40 },
        stderr: { write: () => true },
        env: {},
      },
      { format: "table", color: false, quiet: false, verbose: false },
    );
    const url = "http://127.0.0.1:5000/api/records/and/a/long/tail";
    o.record([["url", url]], {});
    for (const line of out.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(40);
    const joined = out
      .split("\n")
      .map((l) => l.replace(/^│ url\s*│ |^│\s*│ /, "").replace(/\s*│$/, ""))
      .join("");
    expect(joined).toContain(url);
  });

  it.each([
    [[5, 10], undefined, [5, 10]],
    [[5, 10], 100, [5, 10]],
    // 2 columns: frame 7; 40 + 40 + 7 = 87 > 50 -> both shrink evenly to 21/22.
    [[40, 40], 50, [21, 22]],
    [[5, 60], 40, [5, 28]],
    [[30, 30, 30], 20, [10, 10, 10]],
  ] as const)("fitColumns(%j, %s)", (natural, total, expected) => {
    const widths = fitColumns(natural, total);
    expect(widths).toEqual(expected);
  });
});

describe("printable", () => {
  it("escapes control characters that would drive the terminal, keeps tab and newline", () => {
    expect(printable("a\u001b[2Jb")).toBe("a\\u001b[2Jb");
    expect(printable("over\rwrite")).toBe("over\\u000dwrite");
    expect(printable("nul\u0000 del\u007f")).toBe("nul\\u0000 del\\u007f");
    expect(printable("two\nlines\tand tab")).toBe("two\nlines\tand tab");
    expect(cell("k\u001bey")).toBe("k\\u001bey");
  });
});

describe("messages from the server on the terminal", () => {
  it("info, warnings and error reports show control characters as escapes", () => {
    const c = capture("table");
    c.o.info("ok k\u001b[2Jey");
    c.o.warn("w\r");
    c.o.error({
      exitCode: 5,
      code: "x",
      message: "bad \u001b]0;title\u0007 key",
      fields: [{ field: "metadata.title", messages: ["no\u001b[31m"] }],
      hint: undefined,
      status: 400,
      bug: false,
      stack: undefined,
    });
    expect(c.err()).not.toContain("\u001b");
    expect(c.err()).not.toContain("\r");
    expect(c.err()).not.toContain("\u0007");
    expect(c.err()).toContain("ok k\\u001b[2Jey");
    expect(c.err()).toContain("Warning: w\\u000d");
    expect(c.err()).toContain("Error: bad \\u001b]0;title\\u0007 key");
    expect(c.err()).toContain("metadata.title: no\\u001b[31m");
  });
});
