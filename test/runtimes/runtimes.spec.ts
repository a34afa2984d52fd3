// The shared scenario (scenario.ts) under Deno, Bun and headless Chromium, against a devserver
// that allows the test page's origin. Each run starts with the devserver's cuts armed (one request
// of each upload dropped mid-body) and must end with them used up and the uploads intact.
//
// Runtimes come from the environment: NRP_DENO, NRP_BUN (binaries) and NRP_CHROMIUM (the browser
// executable); scripts/browsers/test.sh installs and sets them. A missing runtime fails the test.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startDevServer, type DevServer } from "nrp-invenio-devserver";
import { CUTS, type ScenarioResult } from "./scenario.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const clientDist = join(root, "packages", "client", "dist");
/** Where screenshots and logs of a run go (not committed). */
export const OUTPUT_DIR = join(root, "test-results", "runtimes");

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "" || !existsSync(value)) {
    throw new Error(`${name} must name an executable (scripts/browsers/test.sh sets it)`);
  }
  return value;
}

const exampleDir = join(root, "examples", "browser-upload");
const exampleDist = join(OUTPUT_DIR, "browser-upload", "dist");
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
};

/** A file the page server serves: its type, extra headers, and its body. */
interface PageFile {
  type: string;
  headers?: Record<string, string>;
  body: () => Promise<Buffer | string>;
}

/** A file of the built example page, served under /example/. */
function exampleFile(path: string): PageFile | undefined {
  const rel = path.slice("/example/".length) || "index.html";
  if (rel.includes("..")) return undefined;
  const type = TYPES[rel.slice(rel.lastIndexOf("."))] ?? "application/octet-stream";
  return { type, body: () => readFile(join(exampleDist, rel)) };
}

let server: DevServer;
let page: Server;
let pageOrigin: string;
let readmeSnippet = "";

/** Serves the test page and the browser bundles from another origin than the devserver. */
async function startPageServer(files: Record<string, PageFile>): Promise<Server> {
  const s = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const file = files[path] ?? (path.startsWith("/example/") ? exampleFile(path) : undefined);
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    file.body().then(
      (body) =>
        res
          .writeHead(200, {
            "content-type": file.type,
            "cache-control": "no-store",
            ...file.headers,
          })
          .end(body),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return s;
}

beforeAll(async () => {
  await mkdir(OUTPUT_DIR, { recursive: true });
  const scenarioBundle = await build({
    entryPoints: [join(here, "page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["nrp-invenio-client"],
    logLevel: "warning",
  });
  const scenarioJs = scenarioBundle.outputFiles[0]?.text ?? "";
  const readme = await readFile(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## In the browser"));
  readmeSnippet = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>scenario</title>
<script type="importmap">{"imports":{"nrp-invenio-client":"/client.js"}}</script>
<script type="module" src="/scenario.js"></script></head><body>scenario</body></html>`;
  page = await startPageServer({
    "/": { type: "text/html", body: () => Promise.resolve(html) },
    // The same page where no worker may start.
    "/no-workers.html": {
      type: "text/html",
      headers: { "content-security-policy": "worker-src 'none'" },
      body: () => Promise.resolve(html),
    },
    "/scenario.js": { type: "text/javascript", body: () => Promise.resolve(scenarioJs) },
    "/readme.html": {
      type: "text/html",
      body: () =>
        Promise.resolve(`<!doctype html><html><head><meta charset="utf-8"><title>readme</title>
<script type="importmap">{"imports":{"nrp-invenio-client":"/client.js"}}</script></head>
<body><input type="file" multiple><script type="module" src="/readme.js"></script></body></html>`),
    },
    "/readme.js": {
      type: "text/javascript",
      body: () =>
        Promise.resolve(
          readmeSnippet
            .replace("http://127.0.0.1:5000", server.url)
            .replace("OWNER_TOKEN", server.tokens.owner),
        ),
    },
    "/errors.html": {
      type: "text/html",
      body: () =>
        Promise.resolve(`<!doctype html><html><head><meta charset="utf-8"><title>errors</title>
<script type="importmap">{"imports":{"nrp-invenio-client":"/client.js"}}</script>
<script type="module" src="/errors.js"></script></head><body>errors</body></html>`),
    },
    "/errors.js": { type: "text/javascript", body: () => Promise.resolve(ERRORS_PAGE) },
    "/progress.html": {
      type: "text/html",
      body: () =>
        Promise.resolve(`<!doctype html><html><head><meta charset="utf-8"><title>progress</title>
<script type="importmap">{"imports":{"nrp-invenio-client":"/client.js"}}</script>
<script type="module" src="/progress.js"></script></head><body>progress</body></html>`),
    },
    "/progress.js": { type: "text/javascript", body: () => Promise.resolve(PROGRESS_PAGE) },
    "/client.js": {
      type: "text/javascript",
      body: () => readFile(join(clientDist, "browser.bundle.js")),
    },
  });
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  server = await startDevServer({ config: { cors: { origins: [pageOrigin] } } });
});

afterAll(async () => {
  await server.close();
  await new Promise<void>((resolve) => {
    page.close(() => {
      resolve();
    });
  });
});

function armCuts(): void {
  server.faults.clear();
  for (const cut of CUTS) server.faults.add({ ...cut });
  server.requestLog.length = 0;
}

/** Checks what every runtime must have shown, and what the devserver saw. */
function checkRun(result: ScenarioResult, runtime: string): void {
  expect(result.userAgent).toContain(runtime);
  expect(result.files.map((f) => [f.key, f.size])).toEqual([
    ["small.bin", 300 * 1024 + 7],
    ["large.bin", 2 * 1024 * 1024 + 12_345],
  ]);
  for (const f of result.files) expect(f.checksum).toMatch(/^md5:[0-9a-f]{32}$/);
  expect(result.scanned).toBe(true);
  expect(result.searchTotal).toBeGreaterThanOrEqual(1);
  expect(result.progressEvents).toBeGreaterThan(0);
  // Both cuts happened, and each cut request was sent again and succeeded.
  expect(server.faults.list()).toEqual([]);
  const puts = server.requestLog.filter((e) => e.method === "PUT");
  for (const suffix of ["/small.bin/content", "/large.bin/content/2"]) {
    const tries = puts.filter((e) => e.path.endsWith(suffix));
    expect(tries.map((e) => e.fault !== null)).toEqual([true, false]);
    expect(tries[1]?.status).toBe(200);
  }
  // The first read of large.bin was cut and continued from where it broke, with a range.
  const gets = server.requestLog.filter(
    (e) => e.method === "GET" && e.path.endsWith("/large.bin/content"),
  );
  const seen = JSON.stringify(gets.map((e) => [e.status, e.dropped, e.headers.range]));
  expect(gets[0]?.dropped, seen).toBe(true);
  expect(gets[1]?.status, seen).toBe(206);
  // Chromium's HTTP cache may first check the bytes it kept with a one-byte range of its own.
  expect(gets[1]?.headers.range, seen).toMatch(/^bytes=[1-9]\d*-\d*$/);
  // Parts 1..3 of the multipart upload went up.
  for (const n of [1, 2, 3]) {
    expect(puts.some((e) => e.path.endsWith(`/large.bin/content/${n}`) && e.status === 200)).toBe(
      true,
    );
  }
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: {
        ...process.env,
        NRP_SCENARIO_URL: server.url,
        NRP_SCENARIO_TOKEN: server.tokens.owner,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function lastJson(stdout: string): ScenarioResult {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as ScenarioResult;
}

describe("the shared scenario", () => {
  test("runs under Deno with the fetch transport", async () => {
    const deno = required("NRP_DENO");
    armCuts();
    const out = await run(deno, ["run", "--allow-all", "--quiet", join(here, "main.ts")]);
    expect(out.code, out.stderr).toBe(0);
    checkRun(lastJson(out.stdout), "deno/");
  });

  test("runs under Bun with the fetch transport", async () => {
    const bun = required("NRP_BUN");
    armCuts();
    const out = await run(bun, [join(here, "main.ts")]);
    expect(out.code, out.stderr).toBe(0);
    checkRun(lastJson(out.stdout), "bun/");
  });

  test("runs in headless Chromium from another origin, through the browser entry", async () => {
    // Every Worker the page starts is counted, with the md5 digests it answers.
    const { result, page: seen } = await scenarioInChromium(countWorkers);
    checkRun(result, "browser");
    // large.bin (over 1 MiB) was hashed in Web Workers: its upload from the Blob and its read
    // through stream(), each digest equal to the server's checksum; small.bin on the page.
    const large = result.files.find((f) => f.key === "large.bin")?.checksum ?? "";
    const small = result.files.find((f) => f.key === "small.bin")?.checksum ?? "";
    const md5Seen = seen as { workers: number; digests: string[] };
    expect(md5Seen.workers).toBeGreaterThanOrEqual(2);
    expect(md5Seen.digests.filter((hex) => `md5:${hex}` === large).length).toBeGreaterThanOrEqual(
      2,
    );
    expect(md5Seen.digests.map((hex) => `md5:${hex}`)).not.toContain(small);
  });

  test("hashes on the page's thread in Chromium where there is no Worker", async () => {
    const { result, page: seen } = await scenarioInChromium(() => {
      (globalThis as unknown as { Worker?: unknown }).Worker = undefined;
      (globalThis as unknown as { md5Seen: unknown }).md5Seen = { workers: 0, digests: [] };
    });
    checkRun(result, "browser");
    expect(seen).toEqual({ workers: 0, digests: [] });
  });

  test("hashes on the page's thread in Chromium where a CSP refuses workers", async () => {
    const { result, page: seen } = await scenarioInChromium(countWorkers, "/no-workers.html");
    checkRun(result, "browser");
    // One worker was tried, refused, and not tried again for the later transfers.
    expect(seen).toEqual({ workers: 1, digests: [] });
  });
});

/** Counts, in the page, every Worker started and the md5 digests workers answer (`md5Seen`). */
function countWorkers(): void {
  type Reply = { data?: { type?: string; hex?: string } };
  const scope = globalThis as unknown as {
    Worker: new (url: string | URL, options?: unknown) => EventTarget;
    md5Seen: { workers: number; digests: string[] };
  };
  const seen = { workers: 0, digests: [] as string[] };
  scope.md5Seen = seen;
  const Original = scope.Worker;
  scope.Worker = class extends Original {
    constructor(url: string | URL, options?: unknown) {
      super(url, options);
      seen.workers++;
      this.addEventListener("message", (event) => {
        const { data } = event as Reply;
        if (data?.type === "digest" && data.hex !== undefined) seen.digests.push(data.hex);
      });
    }
  };
}

/**
 * Runs the scenario page in headless Chromium after `init` ran in the page, and returns its
 * result with what `init` left in `globalThis.md5Seen`.
 */
/**
 * Runs `use` on a fresh tab of a headless Chromium (its page errors collected in `errors`) and
 * closes the browser after, whatever happens.
 */
async function inChromium<T>(
  use: (tab: Page, errors: string[]) => Promise<T>,
  context: BrowserContextOptions = {},
): Promise<T> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: required("NRP_CHROMIUM"),
    args: CHROMIUM_ARGS,
  });
  try {
    const tab = await (await browser.newContext(context)).newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => {
      errors.push(e.message);
    });
    return await use(tab, errors);
  } finally {
    await browser.close();
  }
}

async function scenarioInChromium(
  init: () => void,
  path = "/",
): Promise<{ result: ScenarioResult; page: unknown }> {
  return await inChromium(async (tab, errors) => {
    await tab.addInitScript(init);
    armCuts();
    const query = new URLSearchParams({ server: server.url, token: server.tokens.owner });
    await tab.goto(`${pageOrigin}${path}?${query.toString()}`);
    await tab.waitForFunction(
      () => {
        const s = (globalThis as { scenario?: { result?: unknown; error?: unknown } }).scenario;
        return s?.result !== undefined || s?.error !== undefined;
      },
      undefined,
      { timeout: 90_000 },
    );
    const state = (await tab.evaluate(() => (globalThis as { scenario?: unknown }).scenario)) as {
      result?: ScenarioResult;
      error?: string;
      lines: string[];
    };
    expect(errors).toEqual([]);
    expect(state.error, state.lines.join("\n")).toBeUndefined();
    // The page's origin differs from the devserver's: every call went through CORS.
    expect(new URL(server.url).origin).not.toBe(pageOrigin);
    const seen = await tab.evaluate(() => (globalThis as { md5Seen?: unknown }).md5Seen);
    return { result: state.result as ScenarioResult, page: seen };
  });
}

describe("the README's browser snippet", () => {
  test("deposits the picked files and publishes, in Chromium", async () => {
    expect(readmeSnippet).toContain('from "nrp-invenio-client"');
    await inChromium(async (tab, errors) => {
      server.faults.clear();
      await tab.goto(`${pageOrigin}/readme.html`);
      await tab.locator("input[type=file]").setInputFiles([
        { name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("first file\n") },
        { name: "b.csv", mimeType: "text/csv", buffer: Buffer.from("x,y\n1,2\n") },
      ]);
      await tab.locator("body", { hasText: "published" }).waitFor({ timeout: 60_000 });
      expect(errors).toEqual([]);
      const id = /published (\S+)/.exec(await tab.locator("body").innerText())?.[1] ?? "";
      const record = await fetch(`${server.url}/api/documents/${id}/files`);
      const listed = (await record.json()) as { entries: { key: string; checksum: string }[] };
      expect(listed.entries.map((e) => e.key).sort()).toEqual(["a.txt", "b.csv"]);
    });
  });
});

/** Builds the example with its own Vite (7), as `npm run build -w examples/browser-upload` does; once. */
let exampleBuilt: Promise<void> | undefined;
function buildExample(): Promise<void> {
  exampleBuilt ??= (async () => {
    const built = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(exampleDir, "node_modules", "vite", "bin", "vite.js"),
          "build",
          "--outDir",
          exampleDist,
          "--emptyOutDir",
          "--logLevel",
          "error",
        ],
        { cwd: exampleDir, stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => {
        resolve({ code, output });
      });
    });
    expect(built.code, built.output).toBe(0);
  })();
  return exampleBuilt;
}

describe("examples/browser-upload", () => {
  test("built with Vite: files dropped, progress shown, checksums verified, published", async () => {
    await buildExample();

    await inChromium(
      async (tab, errors) => {
        server.faults.clear();
        await tab.goto(`${pageOrigin}/example/index.html`);
        await tab.fill("#server", server.url);
        await tab.fill("#token", server.tokens.owner);
        // Built in the page (a DataTransfer cannot cross from Node): two files, one of 3 MiB.
        const dataTransfer = await tab.evaluateHandle(`(() => {
        const dt = new DataTransfer();
        const big = new Uint8Array(3 * 1024 * 1024 + 5);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
        dt.items.add(new File([big], "measurements.bin"));
        dt.items.add(new File(["sample,value\\nA,1\\n"], "samples.csv", { type: "text/csv" }));
        return dt;
      })()`);
        await tab.dispatchEvent("#drop", "drop", { dataTransfer });
        await tab.locator("#list li[data-done=true]").nth(1).waitFor({ timeout: 60_000 });
        for (const key of ["measurements.bin", "samples.csv"]) {
          const item = tab.locator(`#list li[data-key="${key}"]`);
          await expect
            .poll(() => item.locator(".state").innerText())
            .toMatch(/^checksum verified: md5:[0-9a-f]{32}$/);
          const bar = item.locator("progress");
          expect(await bar.evaluate((p: { value: number; max: number }) => p.value === p.max)).toBe(
            true,
          );
        }
        await tab.waitForFunction(() => {
          const button = (
            globalThis as unknown as {
              document: { querySelector(s: string): { disabled: boolean } | null };
            }
          ).document.querySelector("#publish");
          return button !== null && !button.disabled;
        });
        await tab.click("#publish");
        await tab.locator("#status", { hasText: "Published" }).waitFor({ timeout: 30_000 });
        await tab.screenshot({ path: join(OUTPUT_DIR, "browser-upload.png"), fullPage: true });
        expect(errors).toEqual([]);
        const id = /Published (\S+)/.exec(await tab.locator("#status").innerText())?.[1] ?? "";
        const res = await fetch(`${server.url}/api/documents/${id}/files`);
        expect(res.status).toBe(200);
        const listed = (await res.json()) as { entries: { key: string; size: number }[] };
        expect(listed.entries.map((e) => [e.key, e.size]).sort()).toEqual([
          ["measurements.bin", 3 * 1024 * 1024 + 5],
          ["samples.csv", 17],
        ]);
      },
      { viewport: { width: 900, height: 700 } },
    );
  });
});

describe("examples/browser-upload resume", () => {
  test("a multipart upload cut by a reload resumes with the same file: only missing parts sent", async () => {
    await buildExample();
    try {
      await inChromium(async (tab, errors) => {
        server.faults.clear();
        server.requestLog.length = 0;
        // Part 3 is held on the server: parts 1, 2, 4 and 5 are acknowledged around it, then the
        // page is reloaded while part 3 is in flight.
        const hold = server.faults.add({
          method: "PUT",
          path: "/api/documents/*/draft/files/resumed.bin/content/3",
          hold: true,
        });
        const bytes = Buffer.alloc(5 * 1024 * 1024 - 4321);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + (i >> 11)) & 255;
        const file = { name: "resumed.bin", mimeType: "application/octet-stream", buffer: bytes };
        await tab.goto(`${pageOrigin}/example/index.html`);
        await tab.fill("#server", server.url);
        await tab.fill("#token", server.tokens.owner);
        await tab.fill("#part-size", "1");
        await tab.locator("#files").setInputFiles(file);
        const kept = async (): Promise<{ state: { completedParts: number[] } }[]> =>
          Object.values(
            JSON.parse(
              await tab.evaluate<string>('localStorage.getItem("nrp-example-interrupted") ?? "{}"'),
            ) as Record<string, { state: { completedParts: number[] } }>,
          );
        await expect
          .poll(async () => (await kept())[0]?.state.completedParts, { timeout: 60_000 })
          .toEqual([1, 2, 4, 5]);
        await expect.poll(() => server.faults.held(hold)).toBe(1);

        await tab.reload();
        const offer = tab.locator('#interrupted li[data-key="resumed.bin"]');
        await expect.poll(() => offer.innerText()).toContain("4 of 5 parts sent");
        // The page kept no token; the address it remembered.
        expect(await tab.inputValue("#server")).toBe(server.url);
        await tab.fill("#token", server.tokens.owner);
        await offer.locator("input.resume-file").setInputFiles(file);
        const item = tab.locator('#list li[data-key="resumed.bin"]');
        await item.and(tab.locator("[data-done=true]")).waitFor({ timeout: 60_000 });
        const md5 = createHash("md5").update(bytes).digest("hex");
        expect(await item.locator(".state").innerText()).toBe(`checksum verified: md5:${md5}`);
        expect(await kept()).toEqual([]);
        expect(errors).toEqual([]);

        // Every part went up once and was acknowledged, except part 3: cut by the reload, sent again.
        const puts = server.requestLog.filter((e) => e.method === "PUT");
        for (const n of [1, 2, 3, 4, 5]) {
          const sent = puts.filter((e) => e.path.endsWith(`/resumed.bin/content/${n}`));
          expect(
            sent.map((e) => [e.fault, e.status === 200]),
            `part ${n}`,
          ).toEqual(
            n === 3
              ? [
                  [hold, false],
                  [null, true],
                ]
              : [[null, true]],
          );
        }
        // The resume found the pending file: nothing was initialised or deleted a second time.
        const files = server.requestLog.filter((e) =>
          /\/draft\/files(\/resumed\.bin)?$/.test(e.path),
        );
        expect(files.filter((e) => e.method === "POST").length).toBe(1);
        expect(files.filter((e) => e.method === "DELETE")).toEqual([]);
      });
    } finally {
      server.faults.clear();
    }
  });
});

/**
 * Reads the repository at each address of the page's query string (`servers`, comma-separated)
 * with two quick retries, and publishes what each read threw as `globalThis.outcomes`.
 */
const ERRORS_PAGE = `import { NRPInvenioClient } from "nrp-invenio-client";
const params = new URLSearchParams(location.search);
const outcomes = [];
for (const serverUrl of params.get("servers").split(",")) {
  const retries = [];
  const client = new NRPInvenioClient({
    serverUrl,
    token: params.get("token"),
    retryCount: 2,
    retryInterval: 0.05,
    onRetry: (event) => retries.push(event.reason),
  });
  try {
    await client.info.repository();
    outcomes.push({ ok: true, retries });
  } catch (e) {
    outcomes.push({ name: e.name, code: e.code, causeCode: e.causeCode, message: e.message, retries });
  } finally {
    await client.close();
  }
}
globalThis.outcomes = outcomes;
`;

/**
 * Uploads `size` bytes in one request (L) to a new draft and publishes every progress event it
 * saw, with its time, as `globalThis.progress`.
 */
const PROGRESS_PAGE = `import { NRPInvenioClient } from "nrp-invenio-client";
const params = new URLSearchParams(location.search);
const size = Number(params.get("size"));
const client = new NRPInvenioClient({ serverUrl: params.get("server"), token: params.get("token") });
const events = [];
try {
  const draft = await client.records.create("documents", { title: "progress" });
  const files = await draft.loadFiles();
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) & 255;
  const file = await files.create("slow.bin", new Blob([bytes]), {
    transfer: "L",
    onProgress: (p) => events.push({ bytes: p.transferredBytes, at: performance.now() }),
  });
  globalThis.progress = { events, checksum: file.checksum };
} catch (e) {
  globalThis.progress = { events, error: String(e) };
} finally {
  await client.close();
}
`;

interface Outcome {
  ok?: boolean;
  name?: string;
  code?: string;
  causeCode?: string;
  message?: string;
  retries: string[];
}

describe("errors in the browser", () => {
  test("a repository that does not allow the page's origin is a CorsRefusedError, not retried; one that is down is retried", async () => {
    const refusing = await startDevServer({
      config: { cors: { origins: ["http://elsewhere.invalid"] } },
    });
    // A port nothing listens on: taken and given back.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const down = `http://127.0.0.1:${(free.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) =>
      free.close(() => {
        resolve();
      }),
    );
    try {
      await inChromium(async (tab) => {
        const query = new URLSearchParams({
          servers: [refusing.url, down, server.url].join(","),
          token: refusing.tokens.owner,
        });
        await tab.goto(`${pageOrigin}/errors.html?${query.toString()}`);
        await tab.waitForFunction("globalThis.outcomes !== undefined", undefined, {
          timeout: 60_000,
        });
        const [cors, network, allowed] = await tab.evaluate<Outcome[]>("globalThis.outcomes");
        expect(cors).toMatchObject({
          name: "CorsRefusedError",
          code: "NRP_CORS_REFUSED",
          causeCode: "CORS_REFUSED",
          retries: [],
        });
        expect(cors?.message).toContain(
          `does not allow requests from this page's origin ${pageOrigin}`,
        );
        expect(cors?.message).toContain(new URL(refusing.url).origin);
        // One request (its preflight, refused) and the two probes; nothing retried.
        expect(refusing.requestLog.filter((e) => e.method !== "HEAD").map((e) => e.method)).toEqual(
          ["OPTIONS"],
        );
        expect(network).toMatchObject({ name: "APIConnectionError", code: "NRP_CONNECTION" });
        expect(network?.retries.length).toBeGreaterThan(0);
        expect(network?.message).not.toContain("CORS");
        // The devserver of the other tests allows the page: that read went through.
        expect(allowed).toMatchObject({ ok: true, retries: [] });
      });
    } finally {
      await refusing.close();
    }
  });
});

describe("upload progress in the browser", () => {
  test("a single-request upload over a slow link reports bytes as they leave", async () => {
    // The sending socket's buffer takes the first few MiB at once (4 MiB here): the rest goes out
    // at the devserver's pace, about five seconds.
    const size = 16 * 1024 * 1024;
    const rate = (5 * 1024 * 1024) / 2;
    server.faults.clear();
    server.faults.add({
      method: "PUT",
      path: "/api/documents/*/draft/files/slow.bin/content",
      requestBytesPerSecond: rate,
    });
    try {
      await inChromium(async (tab) => {
        const query = new URLSearchParams({
          server: server.url,
          token: server.tokens.owner,
          size: String(size),
        });
        await tab.goto(`${pageOrigin}/progress.html?${query.toString()}`);
        await tab.waitForFunction("globalThis.progress !== undefined", undefined, {
          timeout: 60_000,
        });
        const result = await tab.evaluate<{
          events: { bytes: number; at: number }[];
          checksum?: string;
          error?: string;
        }>("globalThis.progress");
        expect(result.error).toBeUndefined();
        const bytes = result.events.map((e) => e.bytes);
        // Strictly increasing, ending at the size.
        for (let i = 1; i < bytes.length; i++) expect(bytes[i]).toBeGreaterThan(bytes[i - 1] ?? 0);
        expect(bytes.at(-1)).toBe(size);
        // Several reports while the request was still going out, spread over the time the slow
        // link took, not bunched while the body was gathered before sending.
        const before = result.events.filter((e) => e.bytes < size);
        expect(before.length).toBeGreaterThanOrEqual(4);
        const spread = (before.at(-1)?.at ?? 0) - (before[0]?.at ?? 0);
        expect(spread).toBeGreaterThan(1500);
      });
    } finally {
      server.faults.clear();
    }
  });
});

/** How the Debian chromium is started: headless, no sandbox (root in CI), nothing phoning home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
