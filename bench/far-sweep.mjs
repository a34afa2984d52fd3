#!/usr/bin/env node
// Transfer settings side by side through the far proxy (bench/far-proxy.mjs): the `nrp` CLI's
// upload and download of one file with each given `--concurrency` (and the default), interleaved
// round by round, wall time and CPU time (user + system) per run. It is how the adaptive defaults
// of uploads and downloads were chosen; the side-by-side figures against other tools are
// bench/peers.mjs's.
//
// Usage: npm run build && node bench/far-sweep.mjs [--size-mib 256] [--rounds 1]
//          [--up default,4,8] [--down default,4,8,16] [--rtt-ms 40] [--mbps 200] [--near]
//          [--cpu-prof DIR]
// `--near` runs the same against the devserver directly (no proxy). `--cpu-prof DIR` writes V8
// CPU profiles of the CLI runs and of the devserver into DIR (read them with
// bench/profile-summary.mjs; run this script itself with `node --cpu-prof` for the proxy's).
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { TLS, startDevserver, stopDevserver } from "./devserver.mjs";
import { TIME_FORMAT, readTimeFile } from "./time-file.mjs";
import { startFarProxy } from "./far-proxy.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const NRP_BIN = join(root, "packages/cli/bin/nrp.js");
const CA = join(TLS, "ca.pem");
const MiB = 1024 * 1024;
const run = promisify(execFile);

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv[at + 1];
};
const sizeMiB = Number(option("--size-mib", 256));
const rounds = Number(option("--rounds", 1));
const ups = option("--up", "default,4,8").split(",").filter(Boolean);
const downs = option("--down", "default,4,8,16").split(",").filter(Boolean);
const rttMs = Number(option("--rtt-ms", 40));
const mbps = Number(option("--mbps", 200));
const near = argv.includes("--near");
const profileDir = option("--cpu-prof", undefined);
const profile = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];

const work = await mkdtemp(join(tmpdir(), "nrp-far-sweep-"));
const env = {
  ...process.env,
  NRP_INVENIO_CLIENT_CONFIG_FILE: join(work, "ours.yaml"),
  NO_COLOR: "1",
};

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuOf(pid) {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Runs the CLI under /usr/bin/time; resolves to its wall and CPU seconds, and the CPU seconds the
 * devserver and this process (the proxy) used meanwhile: on 2 cores they share the machine.
 */
async function timed(args) {
  const before = [await cpuOf(server.pid), await cpuOf(process.pid)];
  const timeFile = join(work, "time");
  const start = process.hrtime.bigint();
  const child = spawn(
    "/usr/bin/time",
    ["-f", TIME_FORMAT, "-o", timeFile, process.execPath, ...profile, NRP_BIN, ...args],
    {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const [code] = await once(child, "exit");
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) throw new Error(`nrp ${args.join(" ")}: exit ${code}: ${stderr}`);
  const { cpu, rssMiB } = await readTimeFile(timeFile);
  const after = [await cpuOf(server.pid), await cpuOf(process.pid)];
  return {
    wall,
    cpu,
    rssMiB,
    serverCpu: after[0] - before[0],
    proxyCpu: after[1] - before[1],
  };
}

const port = await freePort();
const host = near ? "127.0.0.1" : "127.0.0.2";
const devserver = await startDevserver({
  dataDir: join(work, "data"),
  host,
  port,
  nodeArgs: profile,
});
const server = devserver.process;
const token = devserver.token;
const proxy = near
  ? undefined
  : await startFarProxy({ listen: `127.0.0.1:${port}`, target: `127.0.0.2:${port}`, rttMs, mbps });
const url = `https://127.0.0.1:${port}`;
try {
  await run(
    process.execPath,
    [NRP_BIN, "add", "alias", url, "far", "--token", token, "--ca-bundle", CA],
    { env },
  );
  const source = join(work, "source.bin");
  const block = randomBytes(MiB);
  const fh = await open(source, "w");
  for (let i = 0; i < sizeMiB; i++) await fh.write(block);
  await fh.close();
  const create = async () => {
    const { stdout } = await run(
      process.execPath,
      [NRP_BIN, "create", "record", "documents", '{"title":"sweep"}', "--format", "json"],
      { env },
    );
    return JSON.parse(stdout).id;
  };
  const holder = await create();
  await run(
    process.execPath,
    [NRP_BIN, "upload", "file", `documents/${holder}`, source, "--no-progress"],
    { env },
  );
  const out = join(work, "out.bin");
  const results = new Map();
  const note = (label, r) => {
    const list = results.get(label) ?? [];
    list.push(r);
    results.set(label, list);
    console.error(
      `${label}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, ${r.rssMiB.toFixed(0)} MiB`,
    );
  };
  const flag = (c) => (c === "default" ? [] : ["--concurrency", c]);
  for (let r = 0; r < rounds; r++) {
    for (const c of ups) {
      const id = await create();
      await run("sync");
      note(
        `upload ${c}`,
        await timed(["upload", "file", `documents/${id}`, source, "--no-progress", ...flag(c)]),
      );
    }
    for (const c of downs) {
      await rm(out, { force: true });
      await run("sync");
      note(
        `download ${c}`,
        await timed([
          "download",
          "file",
          `documents/${holder}`,
          "source.bin",
          "--draft",
          "-o",
          out,
          "--force",
          "--no-progress",
          ...flag(c),
        ]),
      );
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `${near ? "near" : `far (${rttMs} ms RTT, ${mbps} Mbit/s per connection)`}, ${sizeMiB} MiB, ${rounds} round(s): \`node bench/far-sweep.mjs ${argv.join(" ")}\``,
  );
  console.log(
    "| transfer, --concurrency | wall s | CPU s (ours) | CPU s (devserver) | CPU s (proxy) |\n|---|---|---|---|---|",
  );
  for (const [label, list] of results) {
    console.log(
      `| ${label} | ${[list.map((x) => x.wall), list.map((x) => x.cpu), list.map((x) => x.serverCpu), list.map((x) => x.proxyCpu)].map((xs) => median(xs).toFixed(2)).join(" | ")} |`,
    );
  }
} finally {
  await proxy?.close();
  await stopDevserver(devserver);
  await rm(work, { recursive: true, force: true });
}
