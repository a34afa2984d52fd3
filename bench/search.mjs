#!/usr/bin/env node
// Search benchmark: seeds N published records (default 200 000) into a devserver data directory,
// starts the server in its own process, then measures (a) search latency of varied queries through
// the client (p50/p95) against the same URLs fetched by curl in the same run, both for repeated
// queries and for cold ones (never asked before), and (b) scan
// throughput (records/s) of a full scan and a filtered scan through the client, against the raw rate
// of paging the same endpoint with plain HTTP within the window.
// Usage: npm run build && node bench/search.mjs [records=200000]
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { NRPInvenioClient } = await import(join(root, "packages/client/dist/index.js"));
const { seedRecords } = await import(join(root, "packages/server/dist/index.js"));
const run = promisify(execFile);

const count = Number(process.argv[2] ?? 200_000);
const work = await mkdtemp(join(tmpdir(), "nrp-bench-search-"));
const dataDir = join(work, "data");
const seeded = await seedRecords({ dataDir, records: count, model: "datasets", seed: 7 });
console.log(`seeded ${seeded.records} records in ${(seeded.milliseconds / 1000).toFixed(1)} s`);

const server = spawn(
  process.execPath,
  [join(root, "packages/server/dist/bin.js"), "--port", "0", "--quiet", "--data-dir", dataDir],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let banner = "";
for await (const chunk of server.stdout) {
  banner += chunk;
  if (/listening on (\S+)/.test(banner)) break;
}
const serverUrl = /listening on (\S+)/.exec(banner)[1];
const client = new NRPInvenioClient({ serverUrl });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

try {
  const queries = [
    "",
    "ecology",
    "physics AND climate",
    "metadata.resource_type:software",
    "metadata.keywords:geology",
    '"air quality"',
    "created:[2023-01-01 TO 2024-01-01}",
    "Arctic OR Alpine",
    "_exists_:metadata.license",
    "NOT metadata.resource_type:dataset",
  ];
  const pages = [1, 2, 5, 20];
  const ours = [];
  const curl = [];
  for (let round = 0; round < 5; round++) {
    for (const q of queries) {
      for (const page of pages) {
        const request = client.searchRequest("datasets").query(q).page(page).size(25);
        let start = process.hrtime.bigint();
        const res = await request.execute();
        ours.push(ms(start));
        const url = res.links.self;
        start = process.hrtime.bigint();
        await run("curl", ["-sS", "-f", "-o", "/dev/null", url]);
        curl.push(ms(start));
      }
    }
  }
  console.log(
    `repeated-query latency over ${ours.length} requests (${queries.length} queries × ${pages.length} pages × 5 rounds, size 25)`,
  );
  console.log(
    `client: p50 ${percentile(ours, 50).toFixed(1)} ms, p95 ${percentile(ours, 95).toFixed(1)} ms`,
  );
  console.log(
    `curl:   p50 ${percentile(curl, 50).toFixed(1)} ms, p95 ${percentile(curl, 95).toFixed(1)} ms (includes starting curl)`,
  );

  // Cold queries: each asked once, so the server computes its total, ranking and facets afresh
  // (repeated queries above are answered from the server's per-query cache until data changes).
  // Pairs of never-seen queries: the client asks one, curl the other.
  const adjectives = ["Arctic", "Urban", "Coastal", "Alpine", "Tropical", "Microbial", "Seismic"];
  const keywords = ["physics", "chemistry", "biology", "ecology", "climate", "geology"];
  const fresh = adjectives.flatMap((a) => keywords.map((k) => `${a} AND metadata.keywords:${k}`));
  const coldOurs = [];
  const coldCurl = [];
  for (let i = 0; i + 1 < fresh.length; i += 2) {
    let start = process.hrtime.bigint();
    await client.searchRequest("datasets").query(fresh[i]).size(25).execute();
    coldOurs.push(ms(start));
    const url = `${serverUrl}/api/datasets/?q=${encodeURIComponent(fresh[i + 1])}&size=25`;
    start = process.hrtime.bigint();
    await run("curl", ["-sS", "-f", "-o", "/dev/null", url]);
    coldCurl.push(ms(start));
  }
  console.log(
    `cold queries (${coldOurs.length} each, never asked before): client p50 ${percentile(coldOurs, 50).toFixed(1)} ms, p95 ${percentile(coldOurs, 95).toFixed(1)} ms; curl p50 ${percentile(coldCurl, 50).toFixed(1)} ms, p95 ${percentile(coldCurl, 95).toFixed(1)} ms`,
  );

  // Raw paging rate within the window: plain fetch following links.next for 5 000 records.
  let start = process.hrtime.bigint();
  let next = `${serverUrl}/api/datasets/?size=100&sort=oldest`;
  let raw = 0;
  while (next && raw < 5_000) {
    const body = await (await fetch(next)).json();
    raw += body.hits.hits.length;
    next = body.links.next;
  }
  const rawRate = raw / (ms(start) / 1000);
  console.log(`raw paging (fetch, links.next, 100 per page): ${rawRate.toFixed(0)} records/s`);

  for (const [name, q] of [
    ["full scan", ""],
    ["filtered scan", "metadata.resource_type:dataset"],
  ]) {
    start = process.hrtime.bigint();
    let n = 0;
    for await (const _ of client.searchRequest("datasets").query(q).scan()) n++;
    const rate = n / (ms(start) / 1000);
    console.log(
      `${name}: ${n} records, ${rate.toFixed(0)} records/s (${(rate / rawRate).toFixed(2)} of raw paging)`,
    );
  }
} finally {
  await client.close();
  server.kill("SIGTERM");
  await once(server, "exit");
  await rm(work, { recursive: true, force: true });
}
