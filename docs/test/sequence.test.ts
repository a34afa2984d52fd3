// All guides in a row, the way a reader follows them: in the order of docs/README.md, in ONE shell,
// against ONE pair of devservers, with one HOME. Each page also runs alone (docs.test.ts); this
// catches what one guide leaves behind for the next (an exported variable, a changed default
// alias, records that change a later count).
import { readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  DOCS,
  type Sample,
  extractSamples,
  modulesDirectory,
  runPages,
  writeModules,
} from "./samples.js";

/** The guides in the order docs/README.md lists them, then any page it does not list. */
async function readingOrder(): Promise<string[]> {
  const index = await readFile(join(DOCS, "README.md"), "utf8");
  const listed = [...index.matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1] ?? "");
  const all = readdirSync(DOCS).filter((name) => name.endsWith(".md"));
  const order = [...new Set(listed)].filter((page) => all.includes(page));
  return [...order, ...all.filter((page) => !order.includes(page)).sort()];
}

let modulesDir = "";
let pages: string[] = [];

beforeAll(async () => {
  pages = await readingOrder();
  modulesDir = await modulesDirectory();
  const samples: Sample[] = [];
  for (const page of pages)
    samples.push(...extractSamples(page, await readFile(join(DOCS, page), "utf8")));
  await writeModules(modulesDir, samples);
}, 120_000);

afterAll(async () => {
  await rm(modulesDir, { recursive: true, force: true });
});

describe("docs in sequence", () => {
  test("every guide, in reading order, in one shell against one devserver", async () => {
    expect(pages.slice(0, 2)).toEqual(["getting-started.md", "configuration.md"]);
    const started = Date.now();
    await runPages(pages, modulesDir);
    console.log(
      `${String(pages.length)} guides in one shell: ${String(Math.round((Date.now() - started) / 1000))} s`,
    );
  }, 3_600_000); // each page may take as long as alone in docs.test.ts (see runPages)
});
