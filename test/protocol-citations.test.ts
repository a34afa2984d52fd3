import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Comments and docs cite the protocol notes as `docs/protocol/<page>.md#<section>` (from code) or
// as relative Markdown links (from docs). Every cited page and section must exist, and no
// citation may point at a numbered section of a document outside the repository.

const root = dirname(dirname(fileURLToPath(import.meta.url)));

const SKIP = new Set(["node_modules", "dist", "fixtures", "coverage", ".git", "api"]);
const EXTENSIONS = /\.(ts|mts|js|mjs|md|sh|yaml|yml|py)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (EXTENSIONS.test(entry.name)) out.push(path);
  }
  return out;
}

/** The files a citation may sit in: sources, tests, docs, scripts, benchmarks, READMEs. */
const files = ["packages", "test", "docs", "scripts", "bench"]
  .flatMap((dir) => walk(join(root, dir)))
  .concat(join(root, "README.md"));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${String(n)}`);
  }
  return anchors;
}

const anchorCache = new Map<string, Set<string> | null>();
function anchorsOfFile(path: string): Set<string> | null {
  if (!anchorCache.has(path)) {
    let text: string | null = null;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      text = null;
    }
    anchorCache.set(path, text === null ? null : anchorsOf(text));
  }
  return anchorCache.get(path) ?? null;
}

interface Citation {
  from: string;
  line: number;
  page: string;
  anchor: string | undefined;
}

/** `docs/protocol/<page>.md#<section>` anywhere, and relative Markdown links into docs/protocol/ from docs. */
function citationsIn(path: string): Citation[] {
  const text = readFileSync(path, "utf8");
  const found: Citation[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/docs\/protocol\/([\w-]+\.md)(?:#([\w-]+))?/g)) {
      found.push({
        from: path,
        line: i + 1,
        page: join(root, "docs", "protocol", m[1] ?? ""),
        anchor: m[2],
      });
    }
    if (!path.endsWith(".md")) return;
    for (const m of line.matchAll(/\]\(([^)#\s]*\.md)?(?:#([\w-]+))?\)/g)) {
      const target = m[1] === undefined || m[1] === "" ? path : resolve(dirname(path), m[1]);
      if (!target.startsWith(join(root, "docs", "protocol"))) continue;
      if (/^[a-z]+:/.test(m[1] ?? "")) continue;
      found.push({ from: path, line: i + 1, page: target, anchor: m[2] });
    }
  });
  return found;
}

describe("protocol citations", () => {
  const citations = files.flatMap(citationsIn);

  it("are many, from code and from docs", () => {
    expect(citations.filter((c) => !c.from.endsWith(".md")).length).toBeGreaterThan(50);
    expect(citations.filter((c) => c.from.endsWith(".md")).length).toBeGreaterThan(10);
  });

  it("every cited page and section of docs/protocol/ exists", () => {
    const broken = citations
      .filter((c) => {
        const anchors = anchorsOfFile(c.page);
        return anchors === null || (c.anchor !== undefined && !anchors.has(c.anchor));
      })
      .map(
        (c) =>
          `${relative(root, c.from)}:${String(c.line)} → ${relative(root, c.page)}${c.anchor === undefined ? "" : `#${c.anchor}`}`,
      );
    expect(broken, "a cited page or heading of docs/protocol/ is missing").toEqual([]);
  });

  it("no citation points at a numbered section of a document outside the repository", () => {
    // `§` stays only for standards that are cited by name (RFC 9110 §13.1.5).
    const bare = files.flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .flatMap((line, i) =>
          /protocol\s+§|(?<!RFC \d{3,5} )§\s?\d/.test(line)
            ? [`${relative(root, path)}:${String(i + 1)}: ${line.trim()}`]
            : [],
        ),
    );
    expect(
      bare,
      "cite docs/protocol/<page>.md#<section> instead (see docs/protocol/README.md)",
    ).toEqual([]);
  });

  it("the anchor rule matches GitHub's", () => {
    expect([
      ...anchorsOf(
        "# Files\n## Multipart upload\n## The 10000 window\n## On InvenioRDM\n## Routes\n## Routes",
      ),
    ]).toEqual([
      "files",
      "multipart-upload",
      "the-10000-window",
      "on-inveniordm",
      "routes",
      "routes-1",
    ]);
    expect([...anchorsOf("```\n# not a heading\n```\n## `ETag` and If-Match")]).toEqual([
      "etag-and-if-match",
    ]);
  });
});
