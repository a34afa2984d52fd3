#!/usr/bin/env node
// One near download, several builds or settings of `nrp download file` against curl + sync +
// md5sum in the same minutes: one devserver over HTTPS, one file, each command in its own process
// under /usr/bin/time, rounds interleaved. Per run and as medians: wall s, CPU s (user + sys of
// the whole process), the CPU s of the CLI's main thread alone (its event loop: what a transfer
// waits for when the other threads have a core to run on), peak RSS and the devserver's CPU s
// during the run. CPU seconds are the figures to compare on a busy machine; wall seconds only
// when nothing else runs.
//
// Usage: npm run build && node bench/download-ab.mjs [--size-mib 256] [--rounds 3]
//          [--cli NAME=PATH/bin/nrp.js[,VAR=value…]]… [--extra="--concurrency 1"]
//          [--node-arg=--cpu-prof --node-arg=--cpu-prof-dir=DIR] [--no-curl]
// Without --cli it runs this checkout's packages/cli/bin/nrp.js as "ours". To compare with an
// earlier build, copy that build's packages/cli/{bin,dist/bundle,package.json} to a directory
// inside this checkout (so that it finds this checkout's node_modules) and name both, e.g.
// `--cli main=.base/cli/bin/nrp.js --cli ours=packages/cli/bin/nrp.js`. `VAR=value` pairs are
// extra environment for that entry's runs.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

import { TLS, startDevserver, stopDevserver } from "./devserver.mjs";
import { TIME_FORMAT, readTimeFile } from "./time-file.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const CA = join(TLS, "ca.pem");
const MiB = 1024 * 1024;
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "256" },
    rounds: { type: "string", default: "3" },
    cli: { type: "string", multiple: true, default: [] },
    extra: { type: "string", default: "" },
    "node-arg": { type: "string", multiple: true, default: [] },
    "no-curl": { type: "boolean", default: false },
    "idle-s": { type: "string", default: "0.5" },
    "written-mib": { type: "string", default: "0" },
  },
});
const sizeMiB = Number(values["size-mib"]);
const rounds = Number(values.rounds);
const clis = values.cli.length
  ? values.cli.map((spec) => {
      const [name, ...rest] = spec.split("=");
      const [bin, ...vars] = rest.join("=").split(",");
      return { name, bin: resolve(bin), vars: Object.fromEntries(vars.map((v) => v.split("="))) };
    })
  : [{ name: "ours", bin: join(root, "packages/cli/bin/nrp.js"), vars: {} }];
const extra = values.extra.split(" ").filter(Boolean);

// Loaded into each CLI run with --require: the main thread's own CPU time, written at exit.
const MAIN_THREAD = `
process.on("exit", () => {
  const fs = require("node:fs");
  const stat = fs.readFileSync("/proc/self/task/" + process.pid + "/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  fs.writeFileSync(process.env.NRP_BENCH_MAIN_THREAD, String((Number(f[11]) + Number(f[12])) / ${TICKS}));
});
`;

/** CPU seconds (user + sys) a running process has used so far. */
async function processCpu(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

async function timed(work, cmd, args, env = {}) {
  const timeFile = join(work, "time");
  const start = process.hrtime.bigint();
  const child = spawn("/usr/bin/time", ["-f", TIME_FORMAT, "-o", timeFile, cmd, ...args], {
    cwd: work,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const [code] = await once(child, "exit");
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${stderr}`);
  return { seconds, ...(await readTimeFile(timeFile)) };
}

async function md5(path) {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (x === undefined ? "-" : x.toFixed(2));
const line = (name, r) =>
  `| ${name} | ${fmt(r.seconds)} | ${fmt(r.cpu)} | ${fmt(r.sys)} | ${fmt(r.main)} | ${r.rssMiB.toFixed(0)} | ${r.faults === undefined ? "-" : Math.round(r.faults / 1000)} | ${fmt(r.server)} |`;
const HEADER =
  "| run | wall s | CPU s | of it sys s | main thread CPU s | peak RSS MiB | minor faults (thousands) | devserver CPU s |";

const work = await mkdtemp(join(tmpdir(), "nrp-bench-download-ab-"));
const server = await startDevserver({ dataDir: join(work, "data") });
try {
  const client = await import(join(root, "packages/client/dist/index.js"));
  const source = join(work, "source.bin");
  const block = randomBytes(MiB);
  const fh = await open(source, "w");
  for (let i = 0; i < sizeMiB; i++) await fh.write(block);
  await fh.close();
  const sourceMd5 = await md5(source);
  const nrp = new client.NRPInvenioClient({
    serverUrl: server.url,
    token: server.token,
    verify: CA,
  });
  const holder = await nrp.records.create("documents", { title: "downloads" });
  await (
    await (await nrp.records.getByUrl(holder.links.self)).loadFiles()
  ).create("source.bin", {}, source);
  const content = (await (await nrp.records.getByUrl(holder.links.self)).loadFiles()).get(
    "source.bin",
  ).links.content;
  await nrp.close();
  await rm(source);
  const id = holder.links.self
    .replace(/\/draft$/, "")
    .split("/")
    .at(-1);
  const mainThread = join(work, "main-thread.cjs");
  await writeFile(mainThread, MAIN_THREAD);
  const env = { NRP_INVENIO_CLIENT_CONFIG_FILE: join(work, "config.yaml"), NO_COLOR: "1" };
  execFileSync(
    process.execPath,
    [clis[0].bin, "add", "alias", server.url, "local", "--token", server.token, "--ca-bundle", CA],
    { env: { ...process.env, ...env }, stdio: "ignore" },
  );

  const out = join(work, "out.bin");
  const results = new Map();
  const run = async (name, fn) => {
    await rm(out, { force: true });
    execFileSync("sync");
    await sleep(Number(values["idle-s"]) * 1000);
    const before = await processCpu(server.process.pid);
    const r = await fn();
    r.server = (await processCpu(server.process.pid)) - before;
    if (!results.has(name)) results.set(name, []);
    results.get(name).push(r);
    console.error(line(name, r));
  };
  console.error(HEADER);
  const writtenMiB = Number(values["written-mib"]);
  for (let round = 0; round < rounds; round++) {
    if (writtenMiB > 0) {
      // What the side-by-side script's uploads leave behind: large files written into the page
      // cache (kept by the devserver) before the downloads.
      const other = join(work, "other.bin");
      const oh = await open(other, "w");
      for (let i = 0; i < writtenMiB; i++) await oh.write(block);
      await oh.close();
      const upClient = new client.NRPInvenioClient({
        serverUrl: server.url,
        token: server.token,
        verify: CA,
      });
      const r = await upClient.records.create("documents", { title: `written ${round}` });
      await (
        await (await upClient.records.getByUrl(r.links.self)).loadFiles()
      ).create("other.bin", {}, other);
      await upClient.close();
      await rm(other);
    }
    for (const { name, bin, vars } of clis) {
      await run(name, async () => {
        const report = join(work, "main-thread");
        const r = await timed(
          work,
          process.execPath,
          [...values["node-arg"], "--require", mainThread, bin, "--alias", "local"].concat(
            ["download", "file", `documents/${id}`, "source.bin", "--draft", "-o", out],
            ["--force", "--no-progress", ...extra],
          ),
          { ...env, ...vars, NRP_BENCH_MAIN_THREAD: report },
        );
        r.main = Number(await readFile(report, "utf8"));
        if (round === 0 && (await md5(out)) !== sourceMd5) throw new Error(`${name}: bytes differ`);
        return r;
      });
    }
    if (!values["no-curl"]) {
      await run("curl + sync + md5sum", async () => {
        const auth = ["-H", `Authorization: Bearer ${server.token}`];
        const curl = await timed(
          work,
          "curl",
          ["-sS", "-f", "--cacert", CA, ...auth, "-o", out].concat([content]),
        );
        const sync = await timed(work, "sync", []);
        const sum = await timed(work, "md5sum", [out]);
        return {
          seconds: curl.seconds + sync.seconds + sum.seconds,
          cpu: curl.cpu + sync.cpu + sum.cpu,
          sys: curl.sys + sync.sys + sum.sys,
          faults: curl.faults + sync.faults + sum.faults,
          rssMiB: Math.max(curl.rssMiB, sum.rssMiB),
        };
      });
    }
  }
  console.log(`\n${sizeMiB} MiB over HTTPS, medians of ${rounds} runs`);
  console.log(HEADER);
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [name, rs] of results) {
    const m = (k) => median(rs.map((r) => r[k]));
    console.log(
      line(name, {
        seconds: m("seconds"),
        cpu: m("cpu"),
        sys: m("sys"),
        faults: m("faults"),
        main: m("main"),
        rssMiB: m("rssMiB"),
        server: m("server"),
      }),
    );
  }
} finally {
  await stopDevserver(server);
  await rm(work, { recursive: true, force: true });
}
