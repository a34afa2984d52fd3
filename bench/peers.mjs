#!/usr/bin/env node
// Side by side: the `nrp` CLI of this repository, nrp-cmd 1.0.1 (the Python NRP client) and curl,
// on one devserver over HTTPS, interleaved round by round, with medians, ratios and peak RSS.
// Every measured command runs in its own process under `/usr/bin/time`, so its CPU time (user +
// system, all threads) and peak RSS are its own. Results go to bench/RESULTS.md (between the
// `peers` markers) and to standard output.
//
// Usage: npm run build && node bench/peers.mjs [options]
//   --quick              small sizes, one round (a smoke run: 64 MiB, 100 records, 50 files, scan 2000)
//   --rounds R           rounds of every row (default 3)
//   --slow-rounds R      rounds of the far, many and scan rows (default: --rounds)
//   --timeout-s T        stop a command after T seconds and report it (default 900)
//   --size-mib S         size of the near transfers (default 1024)
//   --far-size-mib S     size of the far transfers, through the proxy (default 1024; 0 = skip)
//   --records N          records created at once (default 1000)
//   --small-files N      small files uploaded at once (default 1000)
//   --scan N             seeded published records to scan (default 200000; 0 = skip)
//   --big-mib S          also one download and one upload of S MiB by ours, for peak RSS only
//   --rtt-ms, --mbps     the far link (default 40 ms, 200 Mbit/s per connection)
//   --only a,b           only these row groups: startup, near, far, many, scan, big
//   --out FILE           where to write the results (default bench/RESULTS.md)
//   --section NAME       write this run's block under its own markers (keeps the main block)
//   --devserver BIN      serve the run from another build's packages/server/dist/bin.js (A/B)
//
// nrp-cmd is installed into ~/.cache/nrp-bench/venv-nrp-cmd-1.0.1 with Python 3.12 (pyenv's, or
// python3.12 on PATH) when missing; without Python 3.12 its columns say so. nrp-cmd ignores `-o`
// on `download file` and writes into its working directory, so it runs in a scratch directory.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { clearTimeout, setTimeout } from "node:timers";
import { promisify } from "node:util";

import { Agent, fetch } from "undici";

import { TLS, startDevserver, stopDevserver } from "./devserver.mjs";
import { startFarProxy } from "./far-proxy.mjs";
import { TIME_FORMAT, readTimeFile } from "./time-file.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const client = await import(join(root, "packages/client/dist/index.js"));
const MiB = 1024 * 1024;
const NRP_BIN = join(root, "packages/cli/bin/nrp.js");
const DEVSERVER_BIN = join(root, "packages/server/dist/bin.js");
const CA = join(TLS, "ca.pem");
const CACHE = join(homedir(), ".cache/nrp-bench");
const VENV = join(CACHE, "venv-nrp-cmd-1.0.1");
const TIME = "/usr/bin/time";
/** For the few plain requests of curl's upload (init, commit): the test CA trusted. */
const tlsAgent = new Agent({ connect: { ca: readFileSync(CA) } });

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv[at + 1];
};
const quick = flag("--quick");
const opts = {
  rounds: Number(option("--rounds", quick ? 1 : 3)),
  /** Rounds of the slow groups (far, many, scan): each of their rounds takes minutes. */
  slowRounds: Number(option("--slow-rounds", option("--rounds", quick ? 1 : 3))),
  /** A command still running after this many seconds is stopped and reported as such. */
  timeoutS: Number(option("--timeout-s", 900)),
  sizeMiB: Number(option("--size-mib", quick ? 64 : 1024)),
  farSizeMiB: Number(option("--far-size-mib", quick ? 32 : 1024)),
  records: Number(option("--records", quick ? 100 : 1000)),
  smallFiles: Number(option("--small-files", quick ? 50 : 1000)),
  scan: Number(option("--scan", quick ? 2000 : 200000)),
  bigMiB: Number(option("--big-mib", 0)),
  rttMs: Number(option("--rtt-ms", 40)),
  mbps: Number(option("--mbps", 200)),
  only: option("--only", "startup,near,far,many,scan,big").split(","),
  out: option("--out", join(root, "bench/RESULTS.md")),
  /** A name of its own for this run's block in the results file, so it does not replace another. */
  section: option("--section", ""),
  /** Another build's `packages/server/dist/bin.js` to serve the run (A/B of the devserver). */
  devserver: option("--devserver", undefined),
  /** Keeps a VM's kernel from returning freed memory to its host during the run (root only). */
  holdFreePages: flag("--hold-free-pages"),
};
const wants = (group) => opts.only.includes(group);

// On a virtual machine the first write into a page the host has not backed (never used since
// boot, or handed back to the host by the kernel's free page reporting) costs a trip to the host:
// here ~2.4 s of system time per GiB (`dd if=/dev/zero of=f bs=1M count=1024` takes 0.2 s of
// system time into pages just freed, 2.5-2.8 s into others). Whichever tool writes next pays it,
// by chance, and a download writes its whole file into new page cache. --hold-free-pages asks the
// kernel to report no block (an order above the largest) for the run, restores the setting at
// the end, and touches all free memory but 3 GiB once before the run (~2.4 s per GiB, once), so
// that every tool writes into backed pages, as on a machine of its own.
/** Fills all available memory but 3 GiB in 1 GiB buffers (each page written once), then exits. */
const BACK_FREE_MEMORY = `
const info = require("node:fs").readFileSync("/proc/meminfo", "utf8");
const available = Number(/MemAvailable:\\s+(\\d+)/.exec(info)[1]) * 1024;
const kept = [];
while ((kept.length + 4) * 2 ** 30 <= available) kept.push(Buffer.allocUnsafeSlow(2 ** 30).fill(1));
console.log(kept.length);
`;
const PAGE_REPORTING_ORDER = "/sys/module/page_reporting/parameters/page_reporting_order";
const pageReporting = existsSync(PAGE_REPORTING_ORDER)
  ? readFileSync(PAGE_REPORTING_ORDER, "utf8").trim()
  : undefined;
if (opts.holdFreePages) {
  if (pageReporting === undefined) {
    console.error("--hold-free-pages: this kernel does not report free pages; nothing to hold.");
  } else {
    try {
      writeFileSync(PAGE_REPORTING_ORDER, "11");
    } catch (error) {
      console.error(`--hold-free-pages needs root (${error.code ?? error.message}).`);
      process.exit(2);
    }
    process.on("exit", () => writeFileSync(PAGE_REPORTING_ORDER, pageReporting));
    process.once("SIGINT", () => process.exit(130));
    process.once("SIGTERM", () => process.exit(143));
    const start = process.hrtime.bigint();
    const { stdout } = await run(process.execPath, ["-e", BACK_FREE_MEMORY], {
      maxBuffer: 1024,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.error(
      `--hold-free-pages: touched ${stdout.trim()} GiB of free memory in ${seconds.toFixed(0)} s`,
    );
  }
} else if (pageReporting !== undefined) {
  console.error(
    "This kernel hands freed memory back to its host: the tool that writes into it next pays for it (see --hold-free-pages).",
  );
}
const pageNote =
  pageReporting === undefined
    ? ""
    : opts.holdFreePages
      ? " The kernel's free page reporting to its host was held off for the run (--hold-free-pages)."
      : " The kernel hands freed memory back to its host during the run (free page reporting): a tool that writes into it pays ~2.4 s of system time per GiB.";
const command = `node bench/peers.mjs ${argv.join(" ")}`.trim();

// ---------------------------------------------------------------------------------------------
// Measuring

const haveTime = existsSync(TIME);
const work = await mkdtemp(join(tmpdir(), "nrp-bench-peers-"));
let timeFileCounter = 0;

/**
 * Runs a command to completion in its own process and measures it: wall time (here), CPU time
 * and peak RSS (`/usr/bin/time`, when there). Standard output goes to `stdoutFile` or is dropped.
 */
async function measure(cmd, args, { cwd = work, env = {}, stdoutFile, stdin } = {}) {
  const timeFile = join(work, `time-${timeFileCounter++}`);
  const full = haveTime ? [TIME, ["-f", TIME_FORMAT, "-o", timeFile, cmd, ...args]] : [cmd, args];
  const out = stdoutFile === undefined ? "ignore" : await open(stdoutFile, "w");
  const start = process.hrtime.bigint();
  const child = spawn(full[0], full[1], {
    cwd,
    env: { ...process.env, PYTHONWARNINGS: "ignore", ...env },
    stdio: [stdin === undefined ? "ignore" : "pipe", out === "ignore" ? "ignore" : out.fd, "pipe"],
  });
  if (stdin !== undefined) child.stdin.end(stdin);
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
  }, opts.timeoutS * 1000);
  const [code] = await once(child, "exit");
  clearTimeout(timer);
  if (timedOut) throw new Error(`did not finish in ${opts.timeoutS} s (stopped)`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (out !== "ignore") await out.close();
  if (code !== 0) {
    const last = stderr.trim().split("\n").filter(Boolean).at(-1) ?? "";
    console.error(`${cmd} ${args.slice(0, 8).join(" ")} … exited ${code}:\n${stderr}`);
    throw new Error(`${basename(cmd)} exited ${code}: ${last.slice(0, 200)}`);
  }
  if (!haveTime) return { seconds };
  return { seconds, ...(await readTimeFile(timeFile)) };
}

/** Several measured steps as one: times and CPU add up, the peak is the largest. */
function combine(...parts) {
  return {
    seconds: parts.reduce((sum, p) => sum + p.seconds, 0),
    cpu: parts.some((p) => p.cpu === undefined)
      ? undefined
      : parts.reduce((sum, p) => sum + p.cpu, 0),
    sys: parts.some((p) => p.sys === undefined)
      ? undefined
      : parts.reduce((sum, p) => sum + p.sys, 0),
    rssMiB: Math.max(...parts.map((p) => p.rssMiB ?? 0)) || undefined,
    faults: parts.reduce((sum, p) => sum + (p.faults ?? 0), 0),
  };
}

/** Every round's result of each row and tool: results[row][tool] = [{seconds, cpu, rssMiB}]. */
const results = {};
const rowOrder = [];
/** Puts a row in the table (in the order rows first come up), measured or failed. */
function addRow(row) {
  if (!(row in results)) {
    results[row] = {};
    rowOrder.push(row);
  }
}
function note(row, tool, result) {
  addRow(row);
  (results[row][tool] ??= []).push(result);
  const rss = result.rssMiB === undefined ? "" : `, ${result.rssMiB.toFixed(0)} MiB`;
  const cpu =
    result.cpu === undefined
      ? ""
      : `, CPU ${result.cpu.toFixed(2)} s (sys ${result.sys?.toFixed(2)}, ${Math.round((result.faults ?? 0) / 1000)}k minor faults)`;
  console.error(`  ${row} | ${tool}: ${result.seconds.toFixed(2)} s${cpu}${rss}`);
}
/** Runs `fn` and notes its result; a failure is noted as such and does not stop the run. */
async function attempt(row, tool, fn) {
  const before = await serverCpu();
  try {
    const result = await fn();
    const after = await serverCpu();
    if (before !== undefined && after !== undefined) {
      ((devserverCpu[row] ??= {})[tool] ??= []).push(after - before);
    }
    note(row, tool, result);
  } catch (error) {
    console.error(
      `  ${row} | ${tool}: FAILED ${String(error.message).split("\n").slice(0, 4).join(" / ")}`,
    );
    addRow(row);
    (failures[row] ??= {})[tool] = String(error.message).split("\n")[0];
  }
}
const failures = {};

/** The process whose CPU time each row also reports: the devserver the row talks to. */
let serverProcess;
/** The devserver's CPU seconds during each round of each row and tool (the many and scan rows). */
const devserverCpu = {};
/** User + system CPU seconds of the devserver so far (Linux `/proc`); undefined elsewhere. */
async function serverCpu() {
  if (serverProcess?.pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${serverProcess.pid}/stat`, "utf8");
    // Fields 14 and 15 (utime, stime) after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = Number(
  (await run("getconf", ["CLK_TCK"]).catch(() => ({ stdout: "100" }))).stdout.trim(),
);

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---------------------------------------------------------------------------------------------
// nrp-cmd

async function python312() {
  try {
    const { stdout } = await run("pyenv", ["which", "python3.12"]);
    return stdout.trim();
  } catch {
    // pyenv without a global 3.12: look at its versions directly.
  }
  const versions = join(homedir(), ".pyenv/versions");
  if (existsSync(versions)) {
    const found = (await readdir(versions)).filter((v) => v.startsWith("3.12")).sort();
    if (found.length > 0) return join(versions, found.at(-1), "bin/python3.12");
  }
  try {
    const { stdout } = await run("sh", ["-c", "command -v python3.12"]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The nrp-cmd executable, installed into its own venv on first use; undefined without 3.12. */
async function nrpCmd() {
  const bin = join(VENV, "bin/nrp-cmd");
  if (existsSync(bin)) return bin;
  const python = await python312();
  if (python === undefined) {
    console.error("Python 3.12 not found (pyenv or PATH): nrp-cmd is left out of this run.");
    return undefined;
  }
  console.error(`installing nrp-cmd 1.0.1 into ${VENV} with ${python}`);
  await mkdir(CACHE, { recursive: true });
  await run(python, ["-m", "venv", VENV]);
  await run(join(VENV, "bin/pip"), ["install", "-q", "nrp-cmd==1.0.1"], { maxBuffer: 1 << 24 });
  return bin;
}

// ---------------------------------------------------------------------------------------------
// Servers

/** Seeds `n` published records once into the cache, then copies them into this run's data. */
async function seededDataDir(n, target) {
  if (n > 0) {
    const cached = join(CACHE, `seed-${n}`);
    if (!existsSync(join(cached, ".complete"))) {
      console.error(`seeding ${n} records into ${cached} (once)`);
      await rm(cached, { recursive: true, force: true });
      await run(
        process.execPath,
        [DEVSERVER_BIN, "seed", "--records", String(n), "--data-dir", cached],
        {
          maxBuffer: 1 << 24,
        },
      );
      await writeFile(join(cached, ".complete"), "");
    }
    await cp(cached, target, { recursive: true });
  } else {
    await mkdir(target, { recursive: true });
  }
}

/** A free TCP port on both 127.0.0.1 (the proxy) and 127.0.0.2 (the server behind it). */
async function freePort() {
  const { createServer } = await import("node:net");
  for (;;) {
    const probe = createServer();
    await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address();
    const other = createServer();
    const ok = await new Promise((resolve) => {
      other.once("error", () => resolve(false));
      other.listen(port, "127.0.0.2", () => resolve(true));
    });
    await new Promise((resolve) => probe.close(resolve));
    if (ok) {
      await new Promise((resolve) => other.close(resolve));
      return port;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The tools' commands

const oursEnv = { NRP_INVENIO_CLIENT_CONFIG_FILE: join(work, "ours.yaml"), NO_COLOR: "1" };
const nrpCmdEnv = { NRP_CMD_CONFIG_PATH: join(work, "nrp-cmd.json"), SSL_CERT_FILE: CA };
const scratch = join(work, "scratch");

const ours = (args, more = {}) =>
  measure(process.execPath, [NRP_BIN, ...args], { env: oursEnv, ...more });
let NRP_CMD;
const theirs = (args, more = {}) =>
  measure(NRP_CMD, args, { cwd: scratch, env: nrpCmdEnv, ...more });

async function md5(path) {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

async function writeSource(path, sizeMiB) {
  const block = (await import("node:crypto")).randomBytes(MiB);
  const fh = await open(path, "w");
  for (let i = 0; i < sizeMiB; i++) await fh.write(block);
  await fh.close();
}

/** Flushes dirty pages (untimed) so no transfer pays for the writeback of the one before. */
const settle = () => run("sync");

// ---------------------------------------------------------------------------------------------
// Row groups

async function startupRows(server, recordId) {
  const pid = recordId.split("/").at(-1);
  const rows = [
    ["`--version`", ["--version"], ["--version"]],
    [
      "`describe repository`",
      ["describe", "repository", "--format", "json"],
      ["describe", "repository", "local", "-f", "json"],
    ],
    [
      "`get record`",
      ["get", "record", recordId, "--format", "json"],
      ["get", "record", pid, "--model", "documents", "-f", "json"],
    ],
    [
      "`search records --size 1`",
      ["search", "records", "--size", "1", "--format", "json"],
      ["search", "records", "--size", "1", "--published", "-f", "json"],
    ],
  ];
  for (let r = 0; r < opts.rounds; r++) {
    console.error(`start-up, round ${r + 1}`);
    for (const [row, mine, other] of rows) {
      await attempt(`start-up ${row}`, "ours", () => meanOf(STARTUP_REPEATS, () => ours(mine)));
      if (process.env.NODE_EXTRA_CA_CERTS) {
        await attempt(`start-up ${row}`, WITHOUT_EXTRA_CAS, () =>
          meanOf(STARTUP_REPEATS, () =>
            ours(mine, { env: { ...oursEnv, NODE_EXTRA_CA_CERTS: "" } }),
          ),
        );
      }
      if (NRP_CMD) {
        await attempt(`start-up ${row}`, "nrp-cmd", () =>
          meanOf(STARTUP_REPEATS, () => theirs(other)),
        );
      }
    }
  }
}

/**
 * Ours again where the environment names extra CA certificates for Node (NODE_EXTRA_CA_CERTS, set
 * machine-wide on some systems): Node reads and parses that bundle when every process starts,
 * before any of our code runs (~35 ms of CPU for the system bundle), and the ratio is the
 * machine's as much as ours. The goals are read from the run with the environment as it is.
 */
const WITHOUT_EXTRA_CAS = "ours, NODE_EXTRA_CA_CERTS unset";

/**
 * Runs of a start-up command measured as one: a command takes ~0.1 s of CPU and `/usr/bin/time`
 * counts in 10 ms ticks, so one run's ratio could move by 0.03 on a tick alone.
 */
const STARTUP_REPEATS = 5;

/** `n` runs of `fn` back to back, as the mean of their times, CPU and faults and the largest peak. */
async function meanOf(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await fn());
  const all = combine(...runs);
  const mean = (x) => (x === undefined ? undefined : x / n);
  return {
    ...all,
    seconds: all.seconds / n,
    cpu: mean(all.cpu),
    sys: mean(all.sys),
    faults: mean(all.faults),
  };
}

/** Transfers of one size to one server (near, or far through the proxy), all tools interleaved. */
async function transferRows(label, server, alias, sizeMiB, source, sourceMd5, nrp, rounds) {
  const size = sizeMiB * MiB;
  const auth = { authorization: `Bearer ${server.token}` };
  const curlAuth = ["-H", `Authorization: Bearer ${server.token}`, "--cacert", CA];
  const sizeLabel = sizeMiB >= 1024 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`;
  const up = `${label} upload ${sizeLabel}`;
  const down = `${label} download ${sizeLabel}`;
  const fresh = async (title) => (await nrp.records.create("documents", { title })).links.self;
  const idOf = (url) =>
    url
      .replace(/\/draft$/, "")
      .split("/")
      .at(-1);
  const oursAlias = ["--alias", alias];

  // The file every download reads: uploaded once (untimed).
  const holder = await nrp.records.create("documents", { title: `${label} downloads` });
  const holderFiles = await (await nrp.records.getByUrl(holder.links.self)).loadFiles();
  await holderFiles.create("source.bin", {}, source);
  const holderId = idOf(holder.links.self);
  const content = (await (await nrp.records.getByUrl(holder.links.self)).loadFiles()).get(
    "source.bin",
  ).links.content;
  const downloaded = join(scratch, "source.bin");

  const checkDownload = async (round) => {
    const got = await stat(downloaded);
    if (got.size !== size) throw new Error(`downloaded ${got.size} bytes, not ${size}`);
    if (round === 0 && (await md5(downloaded)) !== sourceMd5)
      throw new Error("downloaded bytes differ");
  };
  const download = (round, fn) => async () => {
    await rm(downloaded, { force: true });
    await settle();
    const result = await fn();
    await checkDownload(round);
    await rm(downloaded, { force: true });
    return result;
  };

  for (let r = 0; r < rounds; r++) {
    console.error(`${label} transfers (${sizeLabel}), round ${r + 1}`);
    // What checking costs with standard tools: md5sum of the source (for curl's upload column).
    await settle();
    const md5sum = await measure("md5sum", [source]);
    await attempt(up, "ours", async () => {
      const id = idOf(await fresh("ours"));
      await settle();
      return ours([
        ...oursAlias,
        "upload",
        "file",
        `documents/${id}`,
        source,
        "--no-progress",
        "--format",
        "json",
      ]);
    });
    if (NRP_CMD) {
      await attempt(up, "nrp-cmd", async () => {
        const id = idOf(await fresh("nrp-cmd"));
        await settle();
        return theirs(
          ["upload", "file", id, source, "--repository", alias, "--model", "documents"].concat([
            "--draft",
            "--no-progress",
            "-f",
            "json",
          ]),
        );
      });
    }
    await attempt(up, "curl", async () => {
      const draft = await fresh("curl");
      await settle();
      const start = process.hrtime.bigint();
      const init = await fetch(`${draft}/files`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify([{ key: "source.bin", size }]),
        dispatcher: tlsAgent,
      });
      const entry = (await init.json()).entries.find((e) => e.key === "source.bin");
      const put = await measure("curl", [
        "-sS",
        "-f",
        "-T",
        source,
        ...curlAuth,
        "-H",
        "Content-Type: application/octet-stream",
        entry.links.content,
      ]);
      const commit = await fetch(entry.links.commit, {
        method: "POST",
        headers: auth,
        dispatcher: tlsAgent,
      });
      if (!commit.ok) throw new Error(`commit: ${commit.status}`);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      return { ...put, seconds };
    });
    note(up, "md5sum of the source", md5sum);

    // The downloads run in a rotated order each round: what the run before leaves to the kernel
    // (pages to flush, page cache to find) is paid by whichever tool writes next, and a fixed
    // order would charge it to the same tool every round.
    const downloads = [];
    // The default adapts the number of ranges to the link; this row is a fixed count beside it.
    for (const [tool, extra] of [
      ["ours", ["--format", "json"]],
      ["ours, 4 ranges", ["--concurrency", "4"]],
    ]) {
      downloads.push([
        tool,
        download(r, () =>
          ours([
            ...oursAlias,
            ...["download", "file", `documents/${holderId}`, "source.bin", "--draft"],
            ...["-o", `${scratch}/`, "--force", "--no-progress", ...extra],
          ]),
        ),
      ]);
    }
    if (NRP_CMD) {
      downloads.push([
        "nrp-cmd",
        download(r, () =>
          theirs(
            ["download", "file", holderId, "source.bin", "--repository", alias].concat([
              "--model",
              "documents",
              "--draft",
              "--no-progress",
            ]),
          ),
        ),
      ]);
    }
    const curlDownload = () =>
      measure("curl", ["-sS", "-f", "-L", "-o", downloaded, ...curlAuth, content]);
    downloads.push(["curl", download(r, curlDownload)]);
    downloads.push([
      "curl + sync + md5sum",
      download(r, async () =>
        combine(
          await curlDownload(),
          await measure("sync", [downloaded]),
          await measure("md5sum", [downloaded]),
        ),
      ),
    ]);
    // One untimed download first: the uploads before grew the page cache by GiBs, and the first
    // file written after that takes memory the machine has not used yet (measured: the first
    // download after the uploads spent 2-4 s more system time than the same tool later, whichever
    // tool it was).
    await download(r, curlDownload)().catch((error) =>
      console.error(`  the untimed download failed: ${error.message}`),
    );
    for (let i = 0; i < downloads.length; i++) {
      const [tool, fn] = downloads[(i + r) % downloads.length];
      await attempt(down, tool, fn);
    }
  }
}

async function manyRows(server) {
  const many = join(work, "many.json");
  await writeFile(
    many,
    JSON.stringify(Array.from({ length: opts.records }, (_, i) => ({ title: `many ${i}` }))),
  );
  const smallDir = join(work, "small");
  await mkdir(smallDir, { recursive: true });
  const smallPaths = [];
  for (let i = 0; i < opts.smallFiles; i++) {
    const path = join(smallDir, `f${String(i).padStart(5, "0")}.txt`);
    await writeFile(path, `small file ${i}\n`.repeat(1 + (i % 64)));
    smallPaths.push(path);
  }
  const nrp = new client.NRPInvenioClient({
    serverUrl: server.url,
    token: server.token,
    verify: CA,
  });
  const createRow = `create ${opts.records} records`;
  const filesRow = `upload ${opts.smallFiles} small files (records of 100)`;
  // The same creates once, untimed: the seeded repository's indexes were built in one sorted pass
  // with every leaf page full, and the first creates after it split nearly every leaf they reach
  // (~30 % more devserver CPU for the first 1,000), which would fall on whichever tool goes first.
  await settle();
  await ours(["create", "record", "documents", many, "--format", "json"]).catch((error) =>
    console.error(`  the untimed creates failed: ${error.message}`),
  );
  for (let r = 0; r < opts.slowRounds; r++) {
    console.error(`many small things, round ${r + 1}`);
    // Each measured command starts with nothing left to flush from the one before (a draft's
    // commit waits on the disk, and the transfers before these rows leave gigabytes dirty).
    await settle();
    await attempt(createRow, "ours", () =>
      ours(["create", "record", "documents", many, "--format", "json"]),
    );
    if (NRP_CMD) {
      await settle();
      await attempt(createRow, "nrp-cmd", () =>
        theirs([
          "create",
          "record",
          `${many}`.startsWith("/") ? many : `./${many}`,
          "--model",
          "documents",
          "-f",
          "json",
        ]),
      );
    }
    // A record holds at most 100 files (Invenio's max_files_count, which the devserver keeps), so
    // the files go to records of 100, one command per record, for both tools: one measured
    // command per group, added up.
    const groups = [];
    for (let i = 0; i < smallPaths.length; i += 100) groups.push(smallPaths.slice(i, i + 100));
    const perGroup = (run) => async () => {
      const parts = [];
      for (const group of groups) parts.push(await run(group));
      return combine(...parts);
    };
    await settle();
    await attempt(
      filesRow,
      "ours",
      perGroup(async (group) => {
        const draft = await nrp.records.create("documents", { title: "small files" });
        const id = draft.links.self
          .replace(/\/draft$/, "")
          .split("/")
          .at(-1);
        return ours([
          ...["upload", "files", `documents/${id}`, ...group],
          ...["--no-progress", "--format", "json"],
        ]);
      }),
    );
    if (NRP_CMD) {
      // nrp-cmd uploads files with the record it creates (one request more than ours).
      await settle();
      await attempt(
        filesRow,
        "nrp-cmd",
        perGroup((group) =>
          theirs([
            ...["create", "record", '{"title": "small files"}'],
            ...group.flatMap((path) => [path, "{}"]),
            ...["--model", "documents", "-f", "json"],
          ]),
        ),
      );
    }
  }
  await nrp.close();
}

/** Lines of a JSON Lines file, and how many distinct record ids they hold. */
async function countScan(path) {
  const ids = new Set();
  let lines = 0;
  for (const line of (await readFile(path, "utf8")).split("\n")) {
    if (line.trim() === "") continue;
    lines += 1;
    ids.add(JSON.parse(line).id);
  }
  return { lines, distinct: ids.size };
}

/** The scan rows; returns each tool's output counts and how many published records there are. */
async function scanRows(nrp) {
  const row = `scan ${opts.scan} records`;
  const counts = {};
  // The seeded records and the one the start-up rows published: what a scan must return once each.
  const expected = (await nrp.search(undefined, { size: 1 })).total;
  for (let r = 0; r < opts.slowRounds; r++) {
    console.error(`scan, round ${r + 1}`);
    const mine = join(work, "scan-ours.jsonl");
    await settle();
    await attempt(row, "ours", () =>
      ours(["scan", "records", "--format", "jsonl"], { stdoutFile: mine }),
    );
    counts.ours = await countScan(mine).catch(() => undefined);
    if (NRP_CMD) {
      const other = join(work, "scan-nrp-cmd.jsonl");
      await rm(other, { force: true });
      await settle();
      await attempt(row, "nrp-cmd", () =>
        theirs(["scan", "records", "--published", "-f", "jsonl", "-o", other]),
      );
      counts["nrp-cmd"] = await countScan(other).catch(() => undefined);
    }
  }
  return { counts, expected };
}

async function bigRows(server, nrp) {
  const source = join(work, "big.bin");
  await writeSource(source, opts.bigMiB);
  const label = `${opts.bigMiB / 1024} GiB`;
  const draft = await nrp.records.create("documents", { title: "big" });
  const id = draft.links.self
    .replace(/\/draft$/, "")
    .split("/")
    .at(-1);
  await settle();
  await attempt(`ours upload ${label} (peak RSS)`, "ours", () =>
    ours(["upload", "file", `documents/${id}`, source, "--no-progress", "--format", "json"]),
  );
  await settle();
  await attempt(`ours download ${label} (peak RSS)`, "ours", () =>
    ours([
      "download",
      "file",
      `documents/${id}`,
      "big.bin",
      "--draft",
      "-o",
      `${scratch}/`,
      "--force",
      "--no-progress",
    ]),
  );
  await rm(join(scratch, "big.bin"), { force: true });
  await rm(source, { force: true });
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (value, digits = 2) => (value === undefined ? "–" : value.toFixed(digits));
const ratioText = (a, b) => (a === undefined || b === undefined ? "–" : `${(b / a).toFixed(2)}×`);

function summary(row, tool) {
  const runs = results[row]?.[tool];
  if (runs === undefined) return undefined;
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpu: median(runs.map((r) => r.cpu)),
    rssMiB: Math.max(...runs.map((r) => r.rssMiB ?? 0)) || undefined,
    each: runs.map((r) => r.seconds.toFixed(2)).join(" "),
  };
}

function report(meta) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(
    `Run: ${meta.date}, \`${command}\` (${opts.rounds} round(s), ${opts.slowRounds} for the far, many and scan rows; medians; peak RSS is the largest of the rounds; each start-up figure is the mean of ${STARTUP_REPEATS} runs back to back).`,
    `Machine: ${meta.machine}. Devserver over HTTPS (test CA, verified by every tool), its data on local disk, in its own process.${pageNote}`,
    `nrp-cmd: ${meta.nrpCmd}. Peak RSS and CPU (user + system) from \`/usr/bin/time\`${haveTime ? "" : " (missing here: wall time only)"}.`,
    "",
  );
  const tools = [
    "ours",
    WITHOUT_EXTRA_CAS,
    "ours, 4 ranges",
    "nrp-cmd",
    "curl",
    "curl + sync + md5sum",
    "md5sum of the source",
  ];
  push(
    "| row | tool | wall s (rounds) | CPU s | peak RSS MiB | ours vs this (time) | ours vs this (CPU) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const row of rowOrder) {
    const mine = summary(row, "ours");
    for (const tool of tools) {
      const s = summary(row, tool);
      if (s === undefined) continue;
      const vs =
        tool === "ours" || mine === undefined
          ? ["", ""]
          : [ratioText(mine.seconds, s.seconds), ratioText(mine.cpu, s.cpu)];
      push(
        `| ${row} | ${tool} | ${fmt(s.seconds)} (${s.each}) | ${fmt(s.cpu)} | ${fmt(s.rssMiB, 0)} | ${vs[0]} | ${vs[1]} |`,
      );
    }
    for (const [tool, message] of Object.entries(failures[row] ?? {})) {
      push(`| ${row} | ${tool} | failed: ${message.replace(/\|/g, "\\|").slice(0, 160)} | | | | |`);
    }
  }
  push("", "“ours vs this” above 1× means ours is faster (or uses less CPU) by that factor.", "");
  // What the devserver spent for each tool: with 2 cores, client CPU + server CPU bounds the time.
  const serverLines = rowOrder
    .filter((row) => devserverCpu[row] !== undefined)
    .map((row) => {
      const each = Object.entries(devserverCpu[row])
        .map(([tool, cpu]) => `${tool} ${fmt(median(cpu))} s`)
        .join(", ");
      return `- ${row}: ${each}`;
    });
  if (serverLines.length > 0) {
    push("Devserver CPU (user + system of its process) during each tool's run, medians:", "");
    push(...serverLines, "");
  }
  if (meta.scanCounts !== undefined) {
    const c = Object.entries(meta.scanCounts.counts)
      .map(([tool, n]) =>
        n === undefined
          ? `${tool}: no output`
          : `${tool}: ${n.lines} lines, ${n.distinct} distinct ids`,
      )
      .join("; ");
    push(
      `Scan output (last round), ${opts.scan} published records seeded, ${meta.scanCounts.expected} published in all: ${c}.`,
      "",
    );
  }
  push(...goals(meta.scanCounts), "");
  return lines.join("\n");
}

/** The issue's goals, each with the figure that decides it (`scanCounts`: the scan's output). */
function goals(scanCounts) {
  const lines = ["Goals:", ""];
  const check = (text, ok) =>
    lines.push(`- ${ok === undefined ? "–" : ok ? "met" : "**not met**"}: ${text}`);
  const s = summary;
  for (const row of rowOrder.filter((r) => r.startsWith("start-up"))) {
    const mine = s(row, "ours");
    const other = s(row, "nrp-cmd");
    const limit = row.includes("--version") ? 0.15 : 0.35;
    const ratio =
      mine?.cpu !== undefined && other?.cpu !== undefined ? mine.cpu / other.cpu : undefined;
    check(
      `${row}: CPU ${fmt(ratio)} of nrp-cmd's (goal ≤ ${limit}), peak RSS ${fmt(mine?.rssMiB, 0)} MiB`,
      ratio === undefined
        ? undefined
        : ratio <= limit && (limit === 0.15 || mine.rssMiB * 1.048576 <= 70),
    );
    const bare = s(row, WITHOUT_EXTRA_CAS);
    if (bare?.cpu !== undefined && other?.cpu !== undefined) {
      check(`${row}, NODE_EXTRA_CA_CERTS unset: CPU ${fmt(bare.cpu / other.cpu)} of nrp-cmd's`);
    }
  }
  const transferRowsNamed = rowOrder.filter(
    (r) => /upload|download/.test(r) && !r.includes("small"),
  );
  for (const [row, who] of transferRowsNamed.flatMap((r) => [
    [r, "ours"],
    [r, "ours, 4 ranges"],
  ])) {
    const mine = s(row, who);
    if (mine === undefined) continue;
    const name = who === "ours" ? row : `${row} (${who})`;
    check(
      `${name}: ours peak RSS ${fmt(mine.rssMiB * 1.048576, 0)} MB (goal ≤ 80 MB)`,
      mine.rssMiB * 1.048576 <= 80,
    );
    const other = s(row, "nrp-cmd");
    const far = row.startsWith("far");
    if (other !== undefined) {
      const want = far ? 2 : 1.5;
      check(
        `${name}: ${ratioText(mine.seconds, other.seconds)} nrp-cmd (goal ≥ ${want}×)`,
        other.seconds / mine.seconds >= want,
      );
    }
    if (far) {
      const curl = s(row, "curl");
      if (curl !== undefined)
        check(
          `${name}: ${ratioText(mine.seconds, curl.seconds)} single-stream curl (goal ≥ 3×)`,
          curl.seconds / mine.seconds >= 3,
        );
    } else if (row.includes("upload")) {
      const curl = s(row, "curl");
      const m = s(row, "md5sum of the source");
      if (curl !== undefined && m !== undefined) {
        const same = curl.seconds + m.seconds;
        check(
          `${name}: ${(same / mine.seconds).toFixed(2)}× curl -T + md5sum (goal ≥ 1.0×)`,
          same / mine.seconds >= 1,
        );
      }
    } else {
      const same = s(row, "curl + sync + md5sum");
      if (same !== undefined)
        check(
          `${name}: ${ratioText(mine.seconds, same.seconds)} curl + sync + md5sum (goal ≥ 1.0×)`,
          same.seconds / mine.seconds >= 1,
        );
    }
  }
  // The many-things and scan goals: a line for each row that ran, with what kept a figure out.
  const many = (r) => r.startsWith("create") || r.includes("small files");
  for (const row of rowOrder.filter((r) => many(r) || r.startsWith("scan"))) {
    const want = many(row) ? 3 : 5;
    const mine = s(row, "ours");
    const other = s(row, "nrp-cmd");
    if (mine === undefined || other === undefined) {
      const why = Object.entries(failures[row] ?? {})
        .map(([tool, message]) => `${tool} failed: ${message.slice(0, 120)}`)
        .join("; ");
      check(`${row}: no ratio (goal ≥ ${want}×)${why === "" ? "" : `: ${why}`}`, undefined);
      continue;
    }
    let once = "";
    let exact = true;
    if (row.startsWith("scan") && scanCounts !== undefined) {
      // Every record exactly once: as many lines as distinct ids, and as many as were published.
      const got = scanCounts.counts.ours;
      exact =
        got !== undefined && got.lines === got.distinct && got.distinct === scanCounts.expected;
      once =
        got === undefined
          ? ", ours wrote no output"
          : `, ours ${got.lines} lines, ${got.distinct} distinct of ${scanCounts.expected} published${exact ? " (each once)" : ""}`;
    }
    check(
      `${row}: ${ratioText(mine.seconds, other.seconds)} nrp-cmd (goal ≥ ${want}×${row.startsWith("scan") ? ", every record exactly once" : ""})${once}`,
      other.seconds / mine.seconds >= want && exact,
    );
  }
  return lines;
}

async function writeReport(text) {
  const name = opts.section === "" ? "peers" : `peers-${opts.section}`;
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  const block = `${START}\n${text}\n${END}`;
  let old = "";
  try {
    old = await readFile(opts.out, "utf8");
  } catch {
    old = "# Benchmark results\n";
  }
  const at = old.indexOf(START);
  const end = old.indexOf(END);
  let next;
  if (at !== -1 && end !== -1) next = old.slice(0, at) + block + old.slice(end + END.length);
  else {
    const heading =
      opts.section === ""
        ? "\n## Side by side: ours, nrp-cmd 1.0.1 and curl\n\n"
        : `\n### Side by side, ${opts.section}\n\n`;
    // A named run goes right after the main block (and the named runs before it), a main block
    // before the first section.
    const mainEnd = old.indexOf("<!-- peers:end -->");
    let at = opts.section === "" || mainEnd === -1 ? -1 : old.indexOf("\n", mainEnd);
    if (at !== -1) {
      for (let named = old.indexOf("<!-- peers-", at); named !== -1;) {
        const close = old.indexOf(":end -->", named);
        if (close === -1 || old.slice(at, named).includes("\n## ")) break;
        at = old.indexOf("\n", close);
        named = old.indexOf("<!-- peers-", at);
      }
    }
    if (at === -1) at = old.indexOf("\n## ");
    next =
      at === -1
        ? `${old}${heading}${block}\n`
        : `${old.slice(0, at)}\n${heading}${block}\n${old.slice(at)}`;
  }
  await writeFile(opts.out, next);
}

// ---------------------------------------------------------------------------------------------
// Main

const servers = [];
let proxy;
try {
  await mkdir(scratch, { recursive: true });
  NRP_CMD = await nrpCmd();
  const nrpCmdNote = NRP_CMD === undefined ? "not run (Python 3.12 missing)" : `1.0.1 in ${VENV}`;

  const dataDir = join(work, "data");
  await seededDataDir(wants("scan") ? opts.scan : 0, dataDir);
  const bin = opts.devserver === undefined ? {} : { bin: resolve(opts.devserver) };
  const near = await startDevserver({ dataDir, host: "127.0.0.1", port: 0, ...bin });
  servers.push(near);
  await ours([
    "add",
    "alias",
    near.url,
    "local",
    "--token",
    near.token,
    "--ca-bundle",
    CA,
    "--default",
  ]);
  if (NRP_CMD) {
    await theirs([
      "add",
      "repository",
      near.url,
      "local",
      "--token",
      near.token,
      "--no-launch-browser",
      "--default",
    ]);
  }
  const nrp = new client.NRPInvenioClient({ serverUrl: near.url, token: near.token, verify: CA });

  // A published record for `get record` (and for the search to find).
  const record = await nrp.records.create(
    "documents",
    { title: "start-up" },
    { filesEnabled: false },
  );
  const published = await record.publish();
  const recordId = `documents/${published.id}`;

  if (wants("startup")) await startupRows(near, recordId);

  let sourceMd5;
  const source = join(work, "source.bin");
  const needSource = (sizeMiB) => async () => {
    await writeSource(source, sizeMiB);
    sourceMd5 = await md5(source);
  };
  if (wants("near") && opts.sizeMiB > 0) {
    await needSource(opts.sizeMiB)();
    await transferRows("near", near, "local", opts.sizeMiB, source, sourceMd5, nrp, opts.rounds);
  }
  if (wants("far") && opts.farSizeMiB > 0) {
    // The far server listens on 127.0.0.2:P; the proxy takes 127.0.0.1:P, so the links the server
    // writes (for the Host 127.0.0.1:P) lead back through the proxy and the certificate still fits.
    const port = await freePort();
    const farServer = await startDevserver({
      dataDir: join(work, "far-data"),
      host: "127.0.0.2",
      port,
      ...bin,
    });
    servers.push(farServer);
    proxy = await startFarProxy({
      listen: `127.0.0.1:${port}`,
      target: `127.0.0.2:${port}`,
      rttMs: opts.rttMs,
      mbps: opts.mbps,
    });
    const farUrl = `https://127.0.0.1:${port}`;
    const far = { ...farServer, url: farUrl };
    await ours(["add", "alias", farUrl, "far", "--token", far.token, "--ca-bundle", CA]);
    if (NRP_CMD)
      await theirs([
        "add",
        "repository",
        farUrl,
        "far",
        "--token",
        far.token,
        "--no-launch-browser",
      ]);
    const farClient = new client.NRPInvenioClient({
      serverUrl: farUrl,
      token: far.token,
      verify: CA,
    });
    await needSource(opts.farSizeMiB)();
    await transferRows(
      `far (${opts.rttMs} ms RTT, ${opts.mbps} Mbit/s per connection)`,
      far,
      "far",
      opts.farSizeMiB,
      source,
      sourceMd5,
      farClient,
      opts.slowRounds,
    );
    await farClient.close();
  }
  await rm(source, { force: true });
  // The many and scan rows also report the devserver's CPU: their time is shared with it.
  serverProcess = near.process;
  if (wants("many")) await manyRows(near);
  let scanCounts;
  if (wants("scan") && opts.scan > 0) scanCounts = await scanRows(nrp);
  if (wants("big") && opts.bigMiB > 0) await bigRows(near, nrp);
  await nrp.close();

  const { stdout: cpu } = await run("sh", [
    "-c",
    "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2",
  ]);
  const [cores, model] = cpu.trim().split("\n");
  const text = report({
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    machine: `${cores} cores (${model.trim()}), Node ${process.version}, shared with other work`,
    nrpCmd: nrpCmdNote,
    scanCounts,
  });
  console.log(text);
  await writeReport(text);
  console.error(`written to ${opts.out}`);
} finally {
  if (proxy) await proxy.close();
  await tlsAgent.close();
  for (const server of servers) await stopDevserver(server);
  await rm(work, { recursive: true, force: true });
}
