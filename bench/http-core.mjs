#!/usr/bin/env node
// Benchmark of the client's HTTP core: discovery requests per second through NRPInvenioClient
// (keep-alive pool, retries, redirects, JSON parsing) against bare undici and against curl fetching
// the same URLs over one kept-alive connection, all measured in this run against the same local
// devserver (in its own process). Each contender runs several alternating rounds; the best counts.
// Usage: npm run build && node bench/http-core.mjs [discoveries-per-round] [rounds]
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { NRPInvenioClient } = await import(join(root, "packages/client/dist/index.js"));
const { Agent, request } = await import(join(root, "node_modules/undici/index.js"));
const run = promisify(execFile);

const discoveries = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 3);

const child = spawn(
  process.execPath,
  [join(root, "packages/server/dist/bin.js"), "--port", "0", "--quiet"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let banner = "";
for await (const chunk of child.stdout) {
  banner += chunk;
  if (/listening on (\S+)/.test(banner)) break;
}
const serverUrl = /listening on (\S+)/.exec(banner)[1];
const work = await mkdtemp(join(tmpdir(), "nrp-bench-"));

// One discovery = 3 requests: the 308 from /.well-known/repository, the document, the models.
const urls = [
  `${serverUrl}/.well-known/repository`,
  `${serverUrl}/.well-known/repository/`,
  `${serverUrl}/.well-known/repository/models`,
];
const requests = discoveries * urls.length;

const client = new NRPInvenioClient({ serverUrl });
const agent = new Agent();
const curlConfig = join(work, "curl.cfg");
const lines = [];
for (let i = 0; i < discoveries; i++)
  for (const u of urls) lines.push(`url = "${u}"`, "output = /dev/null");
await writeFile(curlConfig, lines.join("\n") + "\n");

const contenders = {
  "nrp-invenio-client": async () => {
    for (let i = 0; i < discoveries; i++) await client.info.models({ refresh: true });
  },
  "bare undici (same pool kind)": async () => {
    for (let i = 0; i < discoveries; i++) {
      for (const u of urls) await (await request(u, { dispatcher: agent })).body.text();
    }
  },
  "curl (one kept-alive connection)": async () => {
    await run("curl", ["-s", "--config", curlConfig], { maxBuffer: 1 << 20 });
  },
};

const best = {};
try {
  await client.info.models(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const start = process.hrtime.bigint();
      await fn();
      const rate = requests / (Number(process.hrtime.bigint() - start) / 1e9);
      best[name] = Math.max(best[name] ?? 0, rate);
    }
  }
  console.log(`requests per round: ${requests} (${discoveries} discoveries), best of ${rounds}`);
  for (const [name, rate] of Object.entries(best)) console.log(`${name}: ${rate.toFixed(0)} req/s`);
  const ours = best["nrp-invenio-client"];
  console.log(`ratio client/undici: ${(ours / best["bare undici (same pool kind)"]).toFixed(2)}`);
  console.log(`ratio client/curl: ${(ours / best["curl (one kept-alive connection)"]).toFixed(2)}`);
} finally {
  await client.close();
  await agent.close();
  child.kill("SIGTERM");
  await once(child, "exit");
  await rm(work, { recursive: true, force: true });
}
