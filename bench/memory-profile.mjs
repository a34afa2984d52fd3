#!/usr/bin/env node
// Where the peak RSS of a large transfer goes: runs `nrp download file` and `nrp upload file` (the
// published bin) on a devserver over HTTPS in several variants, each in a fresh process that
// samples process.memoryUsage() and /proc/self/smaps_rollup every 20 ms, and prints, at the moment
// of the peak RSS, how much of it was V8's heap (heapTotal), buffers outside it (external,
// arrayBuffers) and the rest (the Node binary, loaded code, thread stacks, allocator slack), and
// how much of the RSS was anonymous memory rather than pages of the Node binary and its libraries.
//
// Usage: npm run build && node bench/memory-profile.mjs [size-MiB=1024]
// (the downloads' devserver is near: the adaptive default goes as one stream there)
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { TLS, startDevserver, stopDevserver } from "./devserver.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const client = await import(join(root, "packages/client/dist/index.js"));
const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 1024);
const work = await mkdtemp(join(tmpdir(), "nrp-bench-memory-"));

// Loaded before the CLI with --import: samples memory, reports the figures at the peak on exit.
const SAMPLER = `
const max = {}; let atPeak = { rss: 0 };
const anonymous = () => {
  try {
    const text = require("node:fs").readFileSync("/proc/self/smaps_rollup", "utf8");
    return Number(/^Anonymous:\\s+(\\d+) kB/m.exec(text)?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
};
const sample = () => {
  const m = process.memoryUsage();
  for (const k in m) max[k] = Math.max(max[k] ?? 0, m[k]);
  if (m.rss >= atPeak.rss) atPeak = { ...m, anonymous: anonymous() };
};
setInterval(sample, 20).unref();
process.on("exit", () => {
  sample();
  require("node:fs").writeFileSync(process.env.NRP_MEMORY_REPORT, JSON.stringify({ max, atPeak }));
});
`;

const source = join(work, "source.bin");

/** Writes `sizeMiB` MiB of random bytes to `path`. */
async function writeSource(path, size) {
  const block = randomBytes(MiB);
  const fh = await open(path, "w");
  for (let i = 0; i < size; i++) await fh.write(block);
  await fh.close();
}

const devserver = await startDevserver({ dataDir: join(work, "data") });
const { url, token } = devserver;

try {
  await writeSource(source, sizeMiB);
  const nrp = new client.NRPInvenioClient({ serverUrl: url, token, verify: join(TLS, "ca.pem") });
  const draft = await nrp.records.create("documents", { title: "memory" });
  await (
    await (await nrp.records.getByUrl(draft.links.self)).loadFiles()
  ).create("source.bin", {}, source);
  await nrp.close();
  await rm(source);
  const id = `documents/${draft.links.self
    .replace(/\/draft$/, "")
    .split("/")
    .at(-1)}`;
  const env = { ...process.env, NRP_INVENIO_CLIENT_CONFIG_FILE: join(work, "config.yaml") };
  const bin = join(root, "packages/cli/bin/nrp.js");
  await run(
    process.execPath,
    [bin, "add", "alias", url, "local", "--token", token].concat([
      "--ca-bundle",
      join(TLS, "ca.pem"),
    ]),
    { env },
  );
  const sampler = join(work, "sampler.cjs");
  await writeFile(sampler, SAMPLER);

  const download = (...flags) => [
    ...["download", "file", id, "source.bin", "--draft", "-o", `${work}/`, "--force"],
    ...["--no-progress", ...flags],
  ];
  // An upload goes to a fresh draft each time; the file is written again for it.
  const upload =
    (...flags) =>
    async () => {
      await writeSource(source, sizeMiB);
      const fresh = await run(
        process.execPath,
        [bin, "create", "record", "documents", '{"title": "upload"}', "--format", "json"],
        { env },
      );
      return ["upload", "file", `documents/${JSON.parse(fresh.stdout).id}`, source].concat([
        ...["--no-progress", "--format", "json", ...flags],
      ]);
    };
  const variants = [
    ["download (md5 verified)", [], download()],
    ["download --no-verify (no md5)", [], download("--no-verify")],
    ["download --concurrency 16 (ranges)", [], download("--concurrency", "16")],
    ["upload (parts, adaptive)", [], upload()],
    ["upload --transfer L (one request)", [], upload("--transfer", "L")],
    ["`describe repository` (no transfer)", [], ["describe", "repository", "--format", "json"]],
  ];
  console.log(`${sizeMiB} MiB over HTTPS, figures in MiB at the moment of peak RSS`);
  console.log(
    "| variant | peak RSS | heapTotal | external (of it arrayBuffers) | rest | anonymous | binary and libraries |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const [name, nodeFlags, make] of variants) {
    const report = join(work, "report.json");
    const args = typeof make === "function" ? await make() : make;
    await run("sync");
    await run(process.execPath, [...nodeFlags, "--require", sampler, bin, ...args], {
      env: { ...env, NRP_MEMORY_REPORT: report },
      maxBuffer: 1 << 24,
    });
    await rm(join(work, "source.bin"), { force: true });
    const { atPeak } = JSON.parse(await readFile(report, "utf8"));
    const m = (v) => (v / MiB).toFixed(0);
    const rest = atPeak.rss - atPeak.heapTotal - atPeak.external;
    console.log(
      `| ${name} | ${m(atPeak.rss)} | ${m(atPeak.heapTotal)} | ${m(atPeak.external)} (${m(atPeak.arrayBuffers)}) | ${m(rest)} | ${m(atPeak.anonymous)} | ${m(atPeak.rss - atPeak.anonymous)} |`,
    );
  }
} finally {
  await stopDevserver(devserver);
  await rm(work, { recursive: true, force: true });
}
