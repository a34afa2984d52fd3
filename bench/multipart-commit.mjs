#!/usr/bin/env node
// Devserver cost of a multipart upload: uploads SIZE MiB in parts of PART MiB (4 at a time) to a
// devserver in its own process (data on disk) and reports that process's CPU (user + system, from
// /proc/<pid>/stat) while the parts arrive and during the commit, and the commit's latency. With
// `--pause MS` it waits before the commit (as a far upload's last part leaves time), showing what
// the commit costs once the running hash caught up. Linux only (reads /proc).
// Usage: npm run build && node bench/multipart-commit.mjs [size-MiB=256] [part-MiB=16]
//          [rounds=3] [--pause MS] [--server path/to/devserver/dist/index.js]
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const MiB = 1024 * 1024;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const pause = Number(option("--pause") ?? 0);
const serverModule = option("--server") ?? join(root, "packages/server/dist/index.js");

/** The child: a devserver on a fresh data directory, its URL and owner token on stdout. */
async function child(module) {
  const { startDevServer } = await import(module);
  const dataDir = mkdtempSync(join(tmpdir(), "nrp-bench-mp-"));
  const server = await startDevServer({ dataDir, port: 0 });
  console.log(JSON.stringify({ url: server.url, token: server.tokens.owner, dataDir }));
}

if (args[0] === "--child") {
  await child(args[1]);
} else {
  const [sizeMiB = 256, partMiB = 16, rounds = 3] = args.map(Number);
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await once(sizeMiB, partMiB));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const pick = (key) => median(results.map((r) => r[key]));
  console.log(
    `${String(sizeMiB)} MiB in ${String(partMiB)} MiB parts, pause ${String(pause)} ms, ` +
      `median of ${String(rounds)}: devserver CPU ${pick("cpu").toFixed(2)} s ` +
      `(parts ${pick("partsCpu").toFixed(2)} s, commit ${pick("commitCpu").toFixed(2)} s), ` +
      `commit latency ${String(Math.round(pick("commitMs")))} ms`,
  );
}

/** One upload against a fresh devserver process. */
async function once(sizeMiB, partMiB) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", serverModule], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((resolve) => {
    createInterface({ input: proc.stdout }).once("line", resolve);
  });
  const { url, token, dataDir } = JSON.parse(line);
  const cpu = () => {
    const fields = readFileSync(`/proc/${String(proc.pid)}/stat`, "utf8")
      .split(") ")[1]
      .split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  };
  const call = (method, target, body, type) =>
    new Promise((resolve, reject) => {
      const headers = { Authorization: `Bearer ${token}`, "Content-Type": type };
      if (body !== undefined) headers["Content-Length"] = String(body.length);
      const req = request(target, { method, headers }, (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  const json = (method, target, value) =>
    call(method, target, Buffer.from(JSON.stringify(value)), "application/json");
  try {
    const created = await json("POST", `${url}/api/documents/`, {
      metadata: { title: "multipart commit bench" },
      files: { enabled: true },
    });
    const files = `${url}/api/documents/${JSON.parse(created.body).id}/draft/files`;
    const size = sizeMiB * MiB;
    const partSize = partMiB * MiB;
    const parts = Math.ceil(size / partSize);
    const transfer = { type: "M", parts, part_size: partSize };
    const init = await json("POST", files, [{ key: "big.bin", size, transfer }]);
    if (init.status !== 201) throw new Error(`init: ${init.body}`);
    // One random block, each part marked with its number: distinct parts, little memory.
    const block = randomBytes(partSize);
    const part = (n) => {
      const bytes = Buffer.from(block.subarray(0, Math.min(partSize, size - (n - 1) * partSize)));
      bytes.writeUInt32BE(n, 0);
      return bytes;
    };
    const hash = createHash("md5");
    for (let n = 1; n <= parts; n++) hash.update(part(n));
    const expected = `md5:${hash.digest("hex")}`;
    const start = cpu();
    let next = 1;
    const worker = async () => {
      while (next <= parts) {
        const n = next++;
        const put = await call(
          "PUT",
          `${files}/big.bin/content/${String(n)}`,
          part(n),
          "application/octet-stream",
        );
        if (put.status !== 200) throw new Error(`part ${String(n)}: ${put.body}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    if (pause > 0) await sleep(pause);
    const beforeCommit = cpu();
    const t0 = performance.now();
    const commit = await json("POST", `${files}/big.bin/commit`, {});
    const commitMs = performance.now() - t0;
    const end = cpu();
    if (JSON.parse(commit.body).checksum !== expected) throw new Error(`commit: ${commit.body}`);
    return {
      cpu: end - start,
      partsCpu: beforeCommit - start,
      commitCpu: end - beforeCommit,
      commitMs,
    };
  } finally {
    proc.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
