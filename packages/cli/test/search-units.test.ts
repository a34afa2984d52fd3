import type { NRPRecord } from "nrp-invenio-client";
import { describe, expect, it } from "vitest";

import { pagingHint } from "../src/commands/record/search.js";
import {
  StreamWriter,
  facetCounts,
  parseFacets,
  positiveInt,
  project,
  searchRow,
  stringList,
} from "../src/search.js";
import { run } from "./helpers.js";

function fakeRecord(id: string, title: string, extra: Record<string, unknown> = {}): NRPRecord {
  const data = {
    id,
    created: "2026-01-02T03:04:05.123456+00:00",
    metadata: { title, keywords: ["oak"] },
    ...extra,
  };
  const fake = {
    id,
    model: "documents",
    mid: `documents/${id}`,
    data,
    metadata: data.metadata,
    links: { self: `https://repo.example/api/documents/${id}` },
    isDraft: false,
    files: undefined,
    requests: undefined,
    toDict: () => structuredClone(data),
  };
  return fake as unknown as NRPRecord;
}

describe("search arguments", () => {
  it("parses --facet name=value and rejects other shapes", () => {
    expect(parseFacets(["keywords=oak", "a.b=x=y"])).toEqual([
      ["keywords", "oak"],
      ["a.b", "x=y"],
    ]);
    expect(() => parseFacets(["keywords"])).toThrow(/name=value/);
    expect(() => parseFacets(["=oak"])).toThrow(/name=value/);
  });

  it("reads repeated and comma-separated lists", () => {
    expect(stringList(["id,metadata.title", " created "], "--fields")).toEqual([
      "id",
      "metadata.title",
      "created",
    ]);
    expect(stringList(undefined, "--fields")).toEqual([]);
  });

  it("accepts positive whole numbers only for --page and --size", () => {
    expect(positiveInt("3", "--page")).toBe(3);
    expect(positiveInt(undefined, "--page")).toBeUndefined();
    for (const bad of ["0", "-1", "1.5", "x", ""]) {
      expect(() => positiveInt(bad, "--size")).toThrow(/--size must be a positive whole number/);
    }
  });
});

describe("search output", () => {
  it("projects dotted fields into a nested object, leaving out missing ones", () => {
    const data = { id: "a", metadata: { title: "T", keywords: ["k"] }, links: { self: "u" } };
    expect(project(data, ["id", "metadata.title", "metadata.nothing", "links.self"])).toEqual({
      id: "a",
      metadata: { title: "T" },
      links: { self: "u" },
    });
  });

  it("shows id, model, title, created and state in a row", () => {
    expect(searchRow(fakeRecord("abc-12", "Trees"))).toEqual({
      id: "abc-12",
      model: "documents",
      title: "Trees",
      created: "2026-01-02 03:04:05",
      state: "published",
    });
  });

  it("says where the next page is, and when the window ends", () => {
    expect(pagingHint(57, 2, 10, 10)).toBe("Records 11–20 of 57. Next page: --page 3.");
    expect(pagingHint(57, 6, 10, 7)).toBe("Records 51–57 of 57.");
    expect(pagingHint(0, 1, 10, 0)).toBe("No records on page 1 (0 records in total).");
    expect(pagingHint(20_000, 100, 100, 100)).toMatch(/nrp scan records/);
  });

  it("streams jsonl, a JSON array that stays valid, YAML and table lines", () => {
    const records = [fakeRecord("a", "One"), fakeRecord("b", "Two")];
    const written = (format: string, fields?: string[]): string => {
      let out = "";
      const w = new StreamWriter((s) => (out += s), format, fields);
      for (const r of records) w.push(r);
      w.end();
      w.end();
      return out;
    };
    const lines = written("jsonl", ["id"]).trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ id: "a" }, { id: "b" }]);
    const json = JSON.parse(written("json", ["id", "metadata.title"])) as unknown;
    expect(json).toEqual([
      { id: "a", metadata: { title: "One" } },
      { id: "b", metadata: { title: "Two" } },
    ]);
    expect(written("yaml", ["id"])).toBe("- id: a\n- id: b\n");
    const table = written("table").split("\n");
    expect(table[0]).toMatch(/^id\s+model\s+title\s+created\s+state$/);
    expect(table[1]).toMatch(/^a\s+documents\s+One\s+2026-01-02 03:04:05\s+published$/);

    let empty = "";
    new StreamWriter((s) => (empty += s), "json", undefined).end();
    expect(JSON.parse(empty)).toEqual([]);
  });
});

describe("search command help", () => {
  it.each([
    ["search", "records"],
    ["records", "search"],
    ["list", "records"],
    ["records", "list"],
    ["scan", "records"],
    ["records", "scan"],
  ])("nrp %s %s --help lists its options and examples", async (a, b) => {
    const r = await run([a, b, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nrp \S+ \S+/);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--model");
    expect(r.stdout).toContain("--fields");
    if (a !== "scan" && b !== "scan") {
      for (const f of [
        "--drafts",
        "--published",
        "--size",
        "--page",
        "--sort",
        "--facet",
        "--set",
      ]) {
        expect(r.stdout).toContain(f);
      }
    }
  });

  it("rejects --drafts with --published and a bad --facet as usage errors", async () => {
    expect((await run(["search", "records", "--drafts", "--published"])).code).toBe(2);
    const r = await run(["search", "records", "--facet", "oak"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("name=value");
  });
});

describe("facetCounts", () => {
  it("flattens aggregations to one row per bucket, labels only where they differ", () => {
    const aggregations = {
      is_published: {
        label: "Status",
        buckets: [{ key: "false", doc_count: 3, label: "Unpublished", is_selected: true }],
      },
      keywords: { label: "Keywords", buckets: [{ key: "oak", doc_count: 2, label: "oak" }] },
      subjects: {
        buckets: [
          { key: "bio", doc_count: 4, inner: { buckets: [{ key: "cells", doc_count: 1 }] } },
        ],
      },
      broken: { buckets: "none" },
    };
    expect(facetCounts(aggregations)).toEqual([
      { facet: "is_published", value: "false", label: "Unpublished", count: 3 },
      { facet: "keywords", value: "oak", label: undefined, count: 2 },
      { facet: "subjects", value: "bio", label: undefined, count: 4 },
      { facet: "subjects", value: "bio/cells", label: undefined, count: 1 },
    ]);
    expect(facetCounts({})).toEqual([]);
  });
});
