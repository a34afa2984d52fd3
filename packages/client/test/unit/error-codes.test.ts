// The codes the library raises and the codes docs/errors.md documents are one set, so a new code
// cannot ship undocumented and a removed one cannot linger in the guide.
import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as lib from "nrp-invenio-client";
import { type ErrorCode, ErrorCodes, NRPError } from "nrp-invenio-client";

/** The rows of the "Error codes" table in docs/errors.md: code, meaning, exit code cell. */
function documentedCodes(): { code: string; meaning: string; exit: string }[] {
  const text = readFileSync(new URL("../../../../docs/errors.md", import.meta.url), "utf8");
  const section = text.split(/^## /m).find((s) => s.startsWith("Error codes\n"));
  if (section === undefined) throw new Error("docs/errors.md has no '## Error codes' section");
  return [...section.matchAll(/^\| `([^`]+)` +\| (.+?) +\| (.+?) +\|$/gm)].map((m) => ({
    code: m[1] ?? "",
    meaning: m[2] ?? "",
    exit: m[3] ?? "",
  }));
}

describe("ErrorCodes", () => {
  it("is the set of codes documented in docs/errors.md, each once, with a meaning and an exit code", () => {
    const rows = documentedCodes();
    const documented = rows.map((r) => r.code);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(ErrorCodes).sort());
    for (const row of rows) {
      expect(row.meaning.length, row.code).toBeGreaterThan(10);
      expect(row.exit, row.code).toMatch(/\d/);
    }
  });

  it("is frozen, and its names are the codes in PascalCase", () => {
    expect(Object.isFrozen(ErrorCodes)).toBe(true);
    for (const [name, code] of Object.entries(ErrorCodes)) {
      const pascal = code
        .replace(/^NRP_/, "")
        .toLowerCase()
        .replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
      expect(name.toLowerCase(), code).toBe(pascal.toLowerCase());
    }
  });

  it("holds the code of every exported error class", () => {
    const classes = Object.values(lib).filter(
      (v): v is typeof NRPError => typeof v === "function" && v.prototype instanceof Error,
    );
    expect(classes.length).toBeGreaterThan(25);
    const codes: readonly string[] = Object.values(ErrorCodes);
    for (const cls of classes) expect(codes, cls.name).toContain(cls.CODE);
  });

  it("types NRPError.code as the union, so a misspelt code does not compile", () => {
    expectTypeOf<NRPError["code"]>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<typeof ErrorCodes.PermissionDenied>().toEqualTypeOf<"NRP_PERMISSION_DENIED">();
    const err = new NRPError("x", { code: ErrorCodes.NotFound });
    // @ts-expect-error -- not a code the library raises
    expect(err.code === "NRP_NOT_FOUNDD").toBe(false);
    // @ts-expect-error -- not a code the library raises
    expect(() => new NRPError("x", { code: "NRP_TYPO" })).not.toThrow();
  });
});
