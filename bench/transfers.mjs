#!/usr/bin/env node
// Transfer benchmark: uploads and downloads a large file through nrp-invenio-client and, in the
// same run against the same devserver (its own process, data on disk), through curl. Each of the
// client's transfers runs in a fresh child process so that its peak RSS is its own.
// Usage: npm run build && node bench/transfers.mjs [size-MiB=1024] [rounds=1]
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const client = await import(join(root, "packages/client/dist/index.js"));
const run = promisify(execFile);
const MiB = 1024 * 1024;

/** A worker: one transfer through the client, then its timing and peak RSS on stdout. */
async function worker([op, serverUrl, token, recordUrl, key, path, transfer, concurrency]) {
  const nrp = new client.NRPInvenioClient({ serverUrl, token });
  const record = await nrp.records.getByUrl(recordUrl);
  const files = await record.loadFiles();
  const start = process.hrtime.bigint();
  if (op === "upload") {
    await files.create(key, { title: key }, path, {
      transfer,
      concurrency: Number(concurrency),
    });
  } else {
    const file = files.get(key);
    await file.download(path, { concurrency: Number(concurrency), overwrite: true });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await nrp.close();
  // maxRSS is in KiB.
  console.log(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

if (process.argv[2] === "--worker") {
  await worker(process.argv.slice(3));
  process.exit(0);
}

const sizeMiB = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 1);
const size = sizeMiB * MiB;
const work = await mkdtemp(join(tmpdir(), "nrp-bench-transfers-"));

const server = spawn(
  process.execPath,
  [
    join(root, "packages/server/dist/bin.js"),
    "--port",
    "0",
    "--quiet",
    "--data-dir",
    join(work, "data"),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let banner = "";
for await (const chunk of server.stdout) {
  banner += chunk;
  if (/owner\s+\S+\s+(\S+)/.test(banner)) break;
}
const serverUrl = /listening on (\S+)/.exec(banner)[1];
const token = /owner\s+\S+\s+(\S+)/.exec(banner)[1];
const auth = { authorization: `Bearer ${token}` };

async function md5(path) {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/** Runs one client transfer in a child process. */
async function ours(op, recordUrl, key, path, transfer, concurrency) {
  const { stdout } = await run(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      "--worker",
      op,
      serverUrl,
      token,
      recordUrl,
      key,
      path,
      transfer,
      String(concurrency),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

/** curl's L upload: init and commit by plain HTTP, the content PUT by curl, all timed. */
async function curlUpload(filesUrl, key, path) {
  const start = process.hrtime.bigint();
  const init = await fetch(filesUrl, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify([{ key, metadata: { title: key }, size }]),
  });
  const entry = (await init.json()).entries.find((e) => e.key === key);
  await run(
    "curl",
    [
      "-sS",
      "-f",
      "-T",
      path,
      "-H",
      `Authorization: Bearer ${token}`,
      "-H",
      "Content-Type: application/octet-stream",
      entry.links.content,
    ],
    { maxBuffer: 1 << 20 },
  );
  const commit = await fetch(entry.links.commit, { method: "POST", headers: auth });
  if (!commit.ok) throw new Error(`curl upload commit failed: ${commit.status}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function curlDownload(contentUrl, path) {
  const start = process.hrtime.bigint();
  await run("curl", [
    "-sS",
    "-f",
    "-L",
    "-o",
    path,
    "-H",
    `Authorization: Bearer ${token}`,
    contentUrl,
  ]);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

try {
  // The source: pseudo-random bytes (1 MiB of random data repeated), written once.
  const source = join(work, "source.bin");
  const block = (await import("node:crypto")).randomBytes(MiB);
  const fh = await open(source, "w");
  for (let i = 0; i < sizeMiB; i++) await fh.write(block);
  await fh.close();
  const sourceMd5 = await md5(source);

  const nrp = new client.NRPInvenioClient({ serverUrl, token });
  const best = {};
  const note = (name, result) => {
    const mbps = size / MiB / result.seconds;
    const prev = best[name];
    if (!prev || mbps > prev.mbps) best[name] = { mbps, peakRssMiB: result.peakRssMiB };
  };
  for (let r = 0; r < rounds; r++) {
    const draft = await nrp.records.create("documents", { title: `bench ${r}` });
    const recordUrl = draft.links.self;
    note("upload L: client", await ours("upload", recordUrl, "l.bin", source, "L", 1));
    note("upload L: curl -T", await curlUpload(draft.links.files, "curl.bin", source));
    note("upload M x1: client", await ours("upload", recordUrl, "m1.bin", source, "M", 1));
    note("upload M x4: client", await ours("upload", recordUrl, "m4.bin", source, "M", 4));

    const files = await (await nrp.records.getByUrl(recordUrl)).loadFiles();
    const content = files.get("l.bin").links.content;
    const target = join(work, "download.bin");
    note("download: curl -o", await curlDownload(content, target));
    await rm(target, { force: true });
    note("download x1: client", await ours("download", recordUrl, "l.bin", target, "L", 1));
    if ((await md5(target)) !== sourceMd5)
      throw new Error("downloaded bytes differ from the source");
    await rm(target, { force: true });
    note("download x4 ranges: client", await ours("download", recordUrl, "l.bin", target, "L", 4));
    if ((await stat(target)).size !== size) throw new Error("parallel download has the wrong size");
    await rm(target, { force: true });
    await draft.delete();
  }
  await nrp.close();

  console.log(`file: ${sizeMiB} MiB, best of ${rounds} round(s); devserver on local disk`);
  for (const [name, { mbps, peakRssMiB }] of Object.entries(best)) {
    const rss = peakRssMiB === undefined ? "" : `, peak RSS ${peakRssMiB.toFixed(0)} MiB`;
    console.log(`${name}: ${mbps.toFixed(0)} MiB/s${rss}`);
  }
  const ratio = (a, b) => (best[a].mbps / best[b].mbps).toFixed(2);
  console.log(`ratio upload L client/curl: ${ratio("upload L: client", "upload L: curl -T")}`);
  console.log(
    `ratio upload M x4 client/curl L: ${ratio("upload M x4: client", "upload L: curl -T")}`,
  );
  console.log(
    `ratio download x1 client/curl: ${ratio("download x1: client", "download: curl -o")}`,
  );
} finally {
  server.kill("SIGTERM");
  await once(server, "exit");
  await rm(work, { recursive: true, force: true });
}
