#!/usr/bin/env node
// Transfer benchmark: uploads and downloads a large file through nrp-invenio-client and, in the
// same run against the same devserver (its own process, data on disk), through curl. Each of the
// client's transfers runs in a fresh child process so that its peak RSS is its own. Multipart
// uploads are compared with curl speaking the same M protocol (init, each part PUT by curl from
// a part file cut beforehand, commit), so the ratio shows the client's own overhead. Downloads
// are compared with `curl -o` and with `curl -o` followed by `md5sum` (the client always verifies).
// Usage: npm run build && node bench/transfers.mjs [size-MiB=1024] [rounds=1]
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const client = await import(join(root, "packages/client/dist/index.js"));
const run = promisify(execFile);
const MiB = 1024 * 1024;
/** The client's default part size, used by both sides of the multipart comparison. */
const PART_SIZE = 16 * MiB;

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
  // maxRSS is in KiB; CPU time (all threads: event loop, md5 worker, thread pool) in µs.
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  console.log(JSON.stringify({ seconds, peakRssMiB: usage.maxRSS / 1024, cpuSeconds }));
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

let sourceMd5 = "";

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

/** Cuts `path` into part files of PART_SIZE bytes (untimed: curl cannot send a byte range). */
async function cutParts(path, dir) {
  await mkdir(dir, { recursive: true });
  const source = await open(path, "r");
  const buffer = Buffer.allocUnsafe(PART_SIZE);
  const parts = [];
  for (let at = 0, n = 1; at < size; at += PART_SIZE, n++) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(PART_SIZE, size - at), at);
    const partPath = join(dir, `part-${n}`);
    const out = await open(partPath, "w");
    await out.write(buffer, 0, bytesRead);
    await out.close();
    parts.push(partPath);
  }
  await source.close();
  return parts;
}

/** curl's M upload: init and commit by plain HTTP, every part PUT by one curl (in parallel). */
async function curlMultipart(filesUrl, key, partPaths, parallel) {
  const start = process.hrtime.bigint();
  const init = await fetch(filesUrl, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify([
      {
        key,
        metadata: { title: key },
        size,
        transfer: { type: "M", parts: partPaths.length, part_size: PART_SIZE },
      },
    ]),
  });
  const entry = (await init.json()).entries.find((e) => e.key === key);
  const urls = new Map(entry.links.parts.map((p) => [p.part, p.url]));
  const args = ["-sS", "-f", "-H", `Authorization: Bearer ${token}`];
  args.push("-H", "Content-Type: application/octet-stream");
  if (parallel > 1) args.push("--parallel", "--parallel-max", String(parallel));
  partPaths.forEach((partPath, i) => args.push("-T", partPath, urls.get(i + 1)));
  await run("curl", args, { maxBuffer: 1 << 24 });
  const commit = await fetch(entry.links.commit, { method: "POST", headers: auth });
  if (!commit.ok) throw new Error(`curl multipart commit failed: ${commit.status}`);
  const committed = await commit.json();
  if (committed.checksum !== `md5:${sourceMd5}`) throw new Error("curl multipart checksum differs");
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

/** curl's download followed by `md5sum`: what a verified download costs with standard tools. */
async function curlDownloadVerified(contentUrl, path) {
  const start = process.hrtime.bigint();
  await curlDownload(contentUrl, path);
  const { stdout } = await run("md5sum", [path]);
  if (!stdout.startsWith(sourceMd5)) throw new Error("curl download differs from the source");
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

try {
  // The source: pseudo-random bytes (1 MiB of random data repeated), written once.
  const source = join(work, "source.bin");
  const block = (await import("node:crypto")).randomBytes(MiB);
  const fh = await open(source, "w");
  for (let i = 0; i < sizeMiB; i++) await fh.write(block);
  await fh.close();
  sourceMd5 = await md5(source);
  const partPaths = await cutParts(source, join(work, "parts"));

  const nrp = new client.NRPInvenioClient({ serverUrl, token });
  const best = {};
  const note = (name, result) => {
    const mbps = size / MiB / result.seconds;
    const prev = best[name];
    if (!prev || mbps > prev.mbps) {
      best[name] = { mbps, peakRssMiB: result.peakRssMiB, cpuSeconds: result.cpuSeconds };
    }
  };
  for (let r = 0; r < rounds; r++) {
    const draft = await nrp.records.create("documents", { title: `bench ${r}` });
    const recordUrl = draft.links.self;
    note("upload L: client", await ours("upload", recordUrl, "l.bin", source, "L", 1));
    note("upload L: curl -T", await curlUpload(draft.links.files, "curl.bin", source));
    note("upload M x1: client", await ours("upload", recordUrl, "m1.bin", source, "M", 1));
    note("upload M x1: curl parts", await curlMultipart(draft.links.files, "c1.bin", partPaths, 1));
    note("upload M x4: client", await ours("upload", recordUrl, "m4.bin", source, "M", 4));
    note("upload M x4: curl parts", await curlMultipart(draft.links.files, "c4.bin", partPaths, 4));

    const files = await (await nrp.records.getByUrl(recordUrl)).loadFiles();
    const content = files.get("l.bin").links.content;
    const target = join(work, "download.bin");
    note("download: curl -o", await curlDownload(content, target));
    await rm(target, { force: true });
    note("download: curl -o + md5sum", await curlDownloadVerified(content, target));
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
  for (const [name, { mbps, peakRssMiB, cpuSeconds }] of Object.entries(best)) {
    const rss = peakRssMiB === undefined ? "" : `, peak RSS ${peakRssMiB.toFixed(0)} MiB`;
    const cpu = cpuSeconds === undefined ? "" : `, CPU ${cpuSeconds.toFixed(1)} s`;
    console.log(`${name}: ${mbps.toFixed(0)} MiB/s${rss}${cpu}`);
  }
  const ratio = (a, b) => (best[a].mbps / best[b].mbps).toFixed(2);
  console.log(`ratio upload L client/curl: ${ratio("upload L: client", "upload L: curl -T")}`);
  const ratios = [
    ["upload M x1 client/curl parts x1", "upload M x1: client", "upload M x1: curl parts"],
    ["upload M x4 client/curl parts x4", "upload M x4: client", "upload M x4: curl parts"],
    ["upload M x4 client/curl -T", "upload M x4: client", "upload L: curl -T"],
    ["download x1 client/curl -o", "download x1: client", "download: curl -o"],
    ["download x4 ranges client/curl -o", "download x4 ranges: client", "download: curl -o"],
    ["download x1 client/curl -o + md5sum", "download x1: client", "download: curl -o + md5sum"],
  ];
  for (const [label, a, b] of ratios) console.log(`ratio ${label}: ${ratio(a, b)}`);
} finally {
  server.kill("SIGTERM");
  await once(server, "exit");
  await rm(work, { recursive: true, force: true });
}
