// One scenario, run unchanged by Deno, Bun and headless Chromium against the devserver: create a
// draft, upload a file in one request (L) and one in parts (M), where the test has the devserver
// cut one request of each mid-body (`CUTS`) so the client must retry it, read both back byte for
// byte (as a web stream, whose first request is cut too and continued with a range, a Blob and
// the body iterable), publish, search and scan. Each runtime imports the package by name, so it
// gets the entry its export conditions choose.
//
// It uses only what every runtime has (fetch, Blob, TextEncoder): the caller passes the
// library's module and the devserver's address and token.

import type * as Client from "nrp-invenio-client";

/** Where the devserver is, and who the scenario acts as. */
export interface ScenarioEnv {
  serverUrl: string;
  token: string;
  /** Progress lines, for the test's log. */
  log?: (line: string) => void;
}

/** What the scenario observed, checked again by the test that ran it. */
export interface ScenarioResult {
  userAgent: string;
  recordId: string;
  files: { key: string; size: number; checksum: string }[];
  searchTotal: number;
  scanned: boolean;
  progressEvents: number;
}

const PART = 1024 * 1024;

/** The fault rules the test installs before a run: one cut request per upload, one cut read. */
export const CUTS = [
  {
    method: "PUT",
    path: "/api/documents/*/draft/files/small.bin/content",
    dropAfterRequestBytes: 1000,
    times: 1,
  },
  {
    method: "PUT",
    path: "/api/documents/*/draft/files/large.bin/content/2",
    dropAfterRequestBytes: 50_000,
    times: 1,
  },
  {
    method: "GET",
    path: "/api/documents/*/draft/files/large.bin/content",
    dropAfterBytes: 700_000,
    times: 1,
  },
] as const;

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`scenario: ${message}`);
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

async function readWeb(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  return readAll({
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      for (;;) {
        const step = await reader.read();
        if (step.done) return;
        yield step.value;
      }
    },
  });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs the scenario; throws on the first thing that is not as it should be. */
export async function runScenario(lib: typeof Client, env: ScenarioEnv): Promise<ScenarioResult> {
  const log = env.log ?? ((): void => undefined);
  const client = new lib.NRPInvenioClient({
    serverUrl: env.serverUrl,
    token: env.token,
    retryInterval: 0.05,
  });
  try {
    const repo = await client.info.repository();
    check(repo.transfers.includes("M"), "the repository offers multipart uploads");
    const title = `runtime scenario ${Math.random().toString(36).slice(2)}`;
    const draft = await client.records.create("documents", { title });
    const id = draft.id;
    check(typeof id === "string" && id !== "", "the draft has an id");
    log(`draft ${id}`);
    const files = await draft.loadFiles();

    const small = pattern(300 * 1024 + 7, 1);
    const large = pattern(2 * PART + 12_345, 2);
    let progressEvents = 0;
    const l = await files.create("small.bin", { description: "one request" }, new Blob([small]), {
      transfer: "L",
      onProgress: () => progressEvents++,
    });
    log(`L ${l.checksum ?? "?"}`);
    const m = await files.create("large.bin", {}, new Blob([large]), {
      transfer: "M",
      partSize: PART,
      concurrency: 2,
      onProgress: () => progressEvents++,
    });
    log(`M ${m.checksum ?? "?"}`);

    // The web-native reads, md5-verified: a Blob and a ReadableStream on every runtime. The
    // first read of large.bin is cut mid-body (`CUTS`) and continues with a range.
    let streamed = 0;
    const web = await m.stream({ onProgress: (p) => (streamed = p.transferredBytes) });
    check(web instanceof ReadableStream, "stream() gives a web ReadableStream");
    check(same(await readWeb(web), large), "large.bin reads back through a web stream");
    check(streamed === large.byteLength, "stream() reports progress up to the size");
    const blob = await l.blob();
    check(blob instanceof Blob, "blob() gives a Blob");
    check(same(new Uint8Array(await blob.arrayBuffer()), small), "small.bin reads back as a Blob");
    check(same(await readAll(await l.open()), small), "small.bin reads back as uploaded");
    check(same(await readAll(await m.open()), large), "large.bin reads back as uploaded");

    const record = await draft.publish();
    log(`published ${record.id}`);
    const found = await client.search("documents", { query: `"${title}"` });
    check(
      found.records.some((r) => r.id === record.id),
      "the published record is found by its title",
    );
    let scanned = false;
    for await (const r of client.searchRequest("documents").scan()) {
      if (r.id === record.id) scanned = true;
    }
    check(scanned, "a scan of documents meets the published record");

    return {
      userAgent: String((client.toJSON().options as { userAgent?: unknown }).userAgent),
      recordId: record.id,
      files: [l, m].map((f) => ({
        key: f.key,
        size: f.size ?? -1,
        checksum: f.checksum ?? "",
      })),
      searchTotal: found.total,
      scanned,
      progressEvents,
    };
  } finally {
    await client.close();
  }
}
