#!/usr/bin/env node
// Transfer benchmark: uploads and downloads a large file through nrp-invenio-client and, in the
// same run against the same devserver (its own process, data on disk), through curl. Each of the
// client's transfers runs in a fresh child process so that its peak RSS is its own. Multipart
// uploads are compared with curl speaking the same M protocol (init, each part PUT by curl from
// a part file cut beforehand, commit), so the ratio shows the client's own overhead. Downloads are
// compared with a bare `curl -o` and with curl doing what the client guarantees: the file made
// durable (`sync FILE`, an fsync) and, for a verified download, its md5 checked (`md5sum`).
// Every figure is the median of the rounds; the transfers of a round alternate client and curl.
// Usage: npm run build && node bench/transfers.mjs [size-MiB=1024] [rounds=3]
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
async function worker([op, serverUrl, token, recordUrl, key, path, transfer, concurrency, verify]) {
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
    await file.download(path, {
      concurrency: Number(concurrency),
      overwrite: true,
      verify: verify === "verify",
    });
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
const rounds = Number(process.argv[3] ?? 3);
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

/**
 * Flushes every dirty page to disk (untimed) before a transfer, so that no transfer pays for the
 * writeback of the one before it.
 */
async function settle() {
  await run("sync");
}

/** Runs one client transfer in a child process. */
async function ours(op, recordUrl, key, path, transfer, concurrency, verify = "verify") {
  await settle();
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
      verify,
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

/** curl's L upload: init and commit by plain HTTP, the content PUT by curl, all timed. */
async function curlUpload(filesUrl, key, path) {
  await settle();
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
  await settle();
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

async function curlDownload(contentUrl, path, settled = false) {
  if (!settled) await settle();
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

/**
 * curl's download made as safe as the client's: the file flushed to disk (`sync FILE` is an
 * fsync) and, with `verify`, its md5 compared (`md5sum`), as the client does before renaming.
 */
async function curlDownloadSafe(contentUrl, path, verify) {
  await settle();
  const start = process.hrtime.bigint();
  await curlDownload(contentUrl, path, true);
  await run("sync", [path]);
  if (verify) {
    const { stdout } = await run("md5sum", [path]);
    if (!stdout.startsWith(sourceMd5)) throw new Error("curl download differs from the source");
  }
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
  /** Every round's result of each transfer. */
  const results = {};
  const note = (name, result) => {
    (results[name] ??= []).push({ mbps: size / MiB / result.seconds, ...result });
  };
  for (let r = 0; r < rounds; r++) {
    const draft = await nrp.records.create("documents", { title: `bench ${r}` });
    const recordUrl = draft.links.self;
    // What checking an upload costs with standard tools: the md5 of the source, to compare with
    // the checksum the server reports (the client computes it while sending).
    await settle();
    const md5Start = process.hrtime.bigint();
    await run("md5sum", [source]);
    note("md5sum of the source", { seconds: Number(process.hrtime.bigint() - md5Start) / 1e9 });
    note("upload L: client", await ours("upload", recordUrl, "l.bin", source, "L", 1));
    note("upload L: curl -T", await curlUpload(draft.links.files, "curl.bin", source));
    note("upload M x1: client", await ours("upload", recordUrl, "m1.bin", source, "M", 1));
    note("upload M x1: curl parts", await curlMultipart(draft.links.files, "c1.bin", partPaths, 1));
    note("upload M x4: client", await ours("upload", recordUrl, "m4.bin", source, "M", 4));
    note("upload M x4: curl parts", await curlMultipart(draft.links.files, "c4.bin", partPaths, 4));

    const files = await (await nrp.records.getByUrl(recordUrl)).loadFiles();
    const content = files.get("l.bin").links.content;
    const target = join(work, "download.bin");
    const download = async (name, transfer) => {
      note(name, await transfer());
      if ((await stat(target)).size !== size) throw new Error(`${name}: wrong size`);
      if (r === 0 && (await md5(target)) !== sourceMd5) throw new Error(`${name}: bytes differ`);
      await rm(target, { force: true });
    };
    const client = (concurrency, verify) => () =>
      ours("download", recordUrl, "l.bin", target, "L", concurrency, verify);
    await download("download: curl -o", () => curlDownload(content, target));
    await download("download x1 unverified: client", client(1, "no-verify"));
    await download("download: curl -o + fsync", () => curlDownloadSafe(content, target, false));
    await download("download x1: client", client(1, "verify"));
    await download("download: curl -o + fsync + md5sum", () =>
      curlDownloadSafe(content, target, true),
    );
    await download("download x4 ranges: client", client(4, "verify"));
    await draft.delete();
  }
  await nrp.close();

  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const best = {};
  for (const [name, runs] of Object.entries(results)) {
    const pick = (field) =>
      runs[0][field] === undefined ? undefined : median(runs.map((run) => run[field]));
    best[name] = {
      mbps: pick("mbps"),
      peakRssMiB: Math.max(...runs.map((run) => run.peakRssMiB ?? 0)),
      cpuSeconds: pick("cpuSeconds"),
    };
  }
  console.log(`file: ${sizeMiB} MiB, median of ${rounds} round(s); devserver on local disk`);
  for (const [name, { mbps, peakRssMiB, cpuSeconds }] of Object.entries(best)) {
    const rss = peakRssMiB === 0 ? "" : `, peak RSS ${peakRssMiB.toFixed(0)} MiB`;
    const cpu = cpuSeconds === undefined ? "" : `, CPU ${cpuSeconds.toFixed(1)} s`;
    const each = results[name].map((run) => run.mbps.toFixed(0)).join(" ");
    console.log(`${name}: ${mbps.toFixed(0)} MiB/s (rounds: ${each})${rss}${cpu}`);
  }
  const ratio = (a, b) => (best[a].mbps / best[b].mbps).toFixed(2);
  /** The client against curl followed by md5sum (the two medians' times added). */
  const checked = (a, b) => {
    const seconds = (name) => size / MiB / best[name].mbps;
    return (seconds(b) + seconds("md5sum of the source")) / seconds(a);
  };
  console.log(`ratio upload L client/curl: ${ratio("upload L: client", "upload L: curl -T")}`);
  for (const [label, a, b] of [
    ["upload L client/curl -T + md5sum", "upload L: client", "upload L: curl -T"],
    ["upload M x1 client/curl parts x1 + md5sum", "upload M x1: client", "upload M x1: curl parts"],
    ["upload M x4 client/curl parts x4 + md5sum", "upload M x4: client", "upload M x4: curl parts"],
  ]) {
    console.log(`ratio ${label}: ${checked(a, b).toFixed(2)}`);
  }
  const ratios = [
    ["upload M x1 client/curl parts x1", "upload M x1: client", "upload M x1: curl parts"],
    ["upload M x4 client/curl parts x4", "upload M x4: client", "upload M x4: curl parts"],
    ["upload M x4 client/curl -T", "upload M x4: client", "upload L: curl -T"],
    [
      "download verified client/curl -o + fsync + md5sum",
      "download x1: client",
      "download: curl -o + fsync + md5sum",
    ],
    [
      "download unverified client/curl -o + fsync",
      "download x1 unverified: client",
      "download: curl -o + fsync",
    ],
    ["download unverified client/curl -o", "download x1 unverified: client", "download: curl -o"],
    ["download verified client/curl -o", "download x1: client", "download: curl -o"],
    [
      "download x4 ranges verified client/curl -o + fsync + md5sum",
      "download x4 ranges: client",
      "download: curl -o + fsync + md5sum",
    ],
  ];
  for (const [label, a, b] of ratios) console.log(`ratio ${label}: ${ratio(a, b)}`);
} finally {
  server.kill("SIGTERM");
  await once(server, "exit");
  await rm(work, { recursive: true, force: true });
}
