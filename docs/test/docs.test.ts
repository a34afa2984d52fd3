// One test per guide: its samples type-check and run, in order, in one shell, against fresh
// devservers and an empty HOME (the guide's "Before you start" block sets up what it needs).
import { readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  DOCS,
  type Sample,
  extractSamples,
  modulesDirectory,
  runPage,
  typeCheck,
  writeModules,
} from "./samples.js";

const pages = readdirSync(DOCS).filter((name) => name.endsWith(".md"));
let modulesDir = "";
let typeErrors = new Map<string, string[]>();

beforeAll(async () => {
  modulesDir = await modulesDirectory();
  const samples: Sample[] = [];
  for (const page of pages)
    samples.push(...extractSamples(page, await readFile(join(DOCS, page), "utf8")));
  await writeModules(modulesDir, samples);
  typeErrors = typeCheck(modulesDir, samples);
}, 120_000);

afterAll(async () => {
  await rm(modulesDir, { recursive: true, force: true });
});

describe("docs", () => {
  test("the type check saw no errors outside the samples", () => {
    expect(typeErrors.get("*") ?? []).toEqual([]);
  });

  test.each(pages)(
    "docs/%s: every sample type-checks and runs",
    async (page) => {
      expect(typeErrors.get(page) ?? [], "type errors").toEqual([]);
      await runPage(page, modulesDir);
    },
    300_000,
  );
});
