import type { NRPRecord } from "nrp-invenio-client";
import { describe, expect, it } from "vitest";

import { applyUpdate, mergePatch } from "../src/commands/record/merge.js";
import { idKind, toForm } from "../src/record-ids.js";
import { recordFields, recordTitle, shortTime } from "../src/record-view.js";
import { formatSize } from "../src/sizes.js";
import { parseSetTarget } from "../src/variables.js";

describe("merge patch and update documents", () => {
  it("merges objects, deletes on null, replaces arrays", () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2] };
    mergePatch(target, { a: null, b: { d: null, e: 4 }, list: [3], f: { g: 1 } });
    expect(target).toEqual({ b: { c: 2, e: 4 }, list: [3], f: { g: 1 } });
  });

  it("bare documents change the metadata; documents with metadata are partial records", () => {
    const data = { id: "x", metadata: { title: "T", keywords: ["a"] }, files: { enabled: true } };
    applyUpdate(data, { keywords: ["b"] }, "merge");
    expect(data.metadata).toEqual({ title: "T", keywords: ["b"] });
    applyUpdate(data, { title: "U" }, "replace");
    expect(data.metadata).toEqual({ title: "U" });
    const ignored = applyUpdate(
      data,
      { metadata: { abstract: "A" }, files: { enabled: false }, id: "y", links: {} },
      "merge",
    );
    expect(ignored).toEqual(["id", "links"]);
    expect(data).toEqual({
      id: "x",
      metadata: { title: "U", abstract: "A" },
      files: { enabled: false },
    });
    applyUpdate(data, { metadata: { title: "V" } }, "replace");
    expect(data.metadata).toEqual({ title: "V" });
  });
});

describe("record ids", () => {
  it.each([
    ["10.83030/abcde-12345", "doi"],
    ["doi:10.83030/abcde-12345", "doi"],
    ["https://doi.org/10.83030/abcde-12345", "doi"],
    ["https://repo.example.org/api/datasets/abcde-12345", "url"],
    ["datasets/abcde-12345", "mid"],
    ["abcde-12345", "mid"],
  ])("%s is a %s", (id, kind) => {
    expect(idKind(id)).toBe(kind);
  });

  it.each([
    ["datasets/x", "draft", "draft/datasets/x"],
    ["draft/datasets/x", "draft", "draft/datasets/x"],
    ["draft/datasets/x", "published", "datasets/x"],
    ["x", "draft", "draft/x"],
    ["https://r.org/api/datasets/x", "draft", "https://r.org/api/datasets/x/draft"],
    ["https://r.org/api/datasets/x/draft", "published", "https://r.org/api/datasets/x"],
    ["https://r.org/api/datasets/x/draft", "given", "https://r.org/api/datasets/x/draft"],
    ["https://r.org/datasets/x/preview", "published", "https://r.org/datasets/x/preview"],
    ["10.83030/x", "draft", "10.83030/x"],
  ] as const)("%s in the %s form is %s", (id, form, expected) => {
    expect(toForm(id, form)).toBe(expected);
  });

  it("--set +name appends", () => {
    expect(parseSetTarget("+r")).toEqual({ name: "r", append: true });
    expect(parseSetTarget("r")).toEqual({ name: "r", append: false });
    expect(() => parseSetTarget("+")).toThrow("not a valid variable name");
  });
});

describe("record view", () => {
  it.each([
    [{ title: "Plain" }, "Plain"],
    [{ title: [{ lang: "en", value: "Multi" }] }, "Multi"],
    [{ title: { en: "Dict" } }, "Dict"],
    [{}, undefined],
  ])("title of %j", (metadata, title) => {
    expect(recordTitle({ metadata })).toBe(title);
  });

  it("shortens timestamps for lists", () => {
    expect(shortTime("2025-01-14T10:12:33.123456+00:00")).toBe("2025-01-14 10:12:33");
    expect(shortTime(undefined)).toBeUndefined();
  });
});

describe("record view", () => {
  it("shows file sizes in the same binary units as the file commands", () => {
    const files = Object.assign([{ key: "a.bin", size: 1_572_864 }, { key: "b.bin" }], {
      enabled: true,
    });
    const record = {
      id: "abcde-12345",
      data: {},
      metadata: { title: "T" },
      isDraft: false,
      links: {},
      errors: [],
      files,
    } as unknown as NRPRecord;
    const shown = new Map(recordFields(record)).get("files");
    expect(shown).toBe("a.bin (1.50 MiB)\nb.bin (?)");
    expect(formatSize(1_572_864)).toBe("1.50 MiB");
  });
});
