#!/usr/bin/env node
// The devserver's own CPU (user + system of its process, from /proc/<pid>/stat) for what the
// side-by-side benchmark asks of it: a single-request upload, an upload in parts, a download
// whole and in 4 ranges, a scan of seeded published records by our CLI, and 1,000 drafts created
// by `nrp create record` in that seeded repository. The clients are curl (transfers) and the
// `nrp` CLI; only the server's CPU is reported. Several builds of the
// server can run side by side (A/B), their rounds interleaved in the same minutes.
//
// Usage: npm run build && node bench/devserver-cpu.mjs [--size-mib 256] [--rounds 3]
//          [--scan 200000] [--only upload,parts,download,ranges,scan,creates] [--records 1000]
//          [--part-mib 16] [--in-flight 4] [--server name=path/to/dist/bin.js ...]
//          [--cpu-prof DIR] [--node-args "--trace-gc ..."]
// e.g. copy a baseline build's packages/server/dist (with its package.json) under
// .bench-base/packages/server/ and run with
//   --server base=.bench-base/packages/server/dist/bin.js --server new=packages/server/dist/bin.js
// `--only creates --scan 0` creates the drafts in an empty repository instead.
// Linux only (reads /proc). Seeded records are cached in ~/.cache/nrp-bench, as peers.mjs does.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { TLS, startDevserver, stopDevserver } from "./devserver.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const MiB = 1024 * 1024;
const CA = join(TLS, "ca.pem");
const NRP_BIN = join(root, "packages/cli/bin/nrp.js");
const CACHE = join(homedir(), ".cache/nrp-bench");

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv[at + 1];
};
const servers = argv
  .flatMap((a, i) => (a === "--server" ? [argv[i + 1]] : []))
  .map((spec) => {
    const [name, path] = spec.includes("=") ? spec.split("=", 2) : [spec, spec];
    return { name, bin: resolve(path) };
  });
if (servers.length === 0) {
  servers.push({ name: "this build", bin: join(root, "packages/server/dist/bin.js") });
}
const sizeMiB = Number(option("--size-mib", "256"));
const rounds = Number(option("--rounds", "3"));
const scanRecords = Number(option("--scan", "200000"));
const only = option("--only", "upload,parts,download,ranges,scan").split(",");
/** Drafts the `creates` step makes, in one `nrp create record` of a JSON array. */
const records = Number(option("--records", "1000"));
const cpuProf = option("--cpu-prof", undefined);
/** Parts of the upload in parts: their size and how many are sent at once. */
const partMiB = Number(option("--part-mib", "16"));
const inFlight = Number(option("--in-flight", "4"));
/** More arguments for the servers' Node (e.g. `--trace-gc`), space-separated. */
const nodeArgsOption = option("--node-args", "")
  .split(" ")
  .filter((a) => a !== "");
const CLOCK_TICKS = 100;

const work = await mkdtemp(join(tmpdir(), "nrp-devserver-cpu-"));

/** User + system CPU seconds of a process so far. */
async function cpuOf(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLOCK_TICKS, sys: Number(fields[12]) / CLOCK_TICKS };
}

/** Runs a command to completion, stdout discarded unless `stdout` names a file. */
async function run(cmd, args, { env = {}, stdout } = {}) {
  const out = stdout === undefined ? "ignore" : await open(stdout, "w");
  const child = spawn(cmd, args, {
    stdio: ["ignore", out === "ignore" ? "ignore" : out.fd, "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  child.stderr.on("data", (c) => (err += c));
  const [code] = await once(child, "exit");
  if (out !== "ignore") await out.close();
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${err}`);
}

/** One HTTPS request with the test CA; `body` a Buffer, a stream factory or undefined. */
function call(server, method, url, { body, type = "application/json", headers = {} } = {}) {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method,
        ca: server.ca,
        headers: { authorization: `Bearer ${server.token}`, "content-type": type, ...headers },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode >= 300) fail(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
          else done(text === "" ? undefined : JSON.parse(text));
        });
      },
    );
    req.on("error", fail);
    if (typeof body === "function") body().pipe(req);
    else req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function draftFiles(server, entry) {
  const draft = await call(server, "POST", `${server.url}/api/documents/`, {
    body: { metadata: { title: "devserver cpu" }, files: { enabled: true } },
  });
  const files = `${server.url}/api/documents/${draft.id}/draft/files`;
  const init = await call(server, "POST", files, { body: [entry] });
  return init.entries.find((e) => e.key === entry.key).links;
}

const source = join(work, "source.bin");
async function writeSource() {
  const file = await open(source, "w");
  const block = randomBytes(MiB);
  for (let i = 0; i < sizeMiB; i++) await file.write(block);
  await file.close();
}

const size = () => sizeMiB * MiB;

/** The measured steps, each `(server) => Promise<void>`. */
const steps = {
  async upload(server) {
    const links = await draftFiles(server, { key: "l.bin", size: size() });
    return measured(server, async () => {
      await call(server, "PUT", links.content, {
        body: () => createReadStream(source, { highWaterMark: 256 * 1024 }),
        type: "application/octet-stream",
        headers: { "content-length": String(size()) },
      });
      await call(server, "POST", links.commit);
    });
  },
  async parts(server) {
    const partSize = partMiB * MiB;
    const parts = Math.ceil(size() / partSize);
    const links = await draftFiles(server, {
      key: "m.bin",
      size: size(),
      transfer: { type: "M", parts, part_size: partSize },
    });
    const content = `${links.self}/content`;
    return measured(server, async () => {
      let next = 1;
      const worker = async () => {
        while (next <= parts) {
          const n = next++;
          const start = (n - 1) * partSize;
          const end = Math.min(size(), n * partSize) - 1;
          await call(server, "PUT", `${content}/${n}`, {
            body: () => createReadStream(source, { start, end, highWaterMark: 256 * 1024 }),
            type: "application/octet-stream",
            headers: { "content-length": String(end - start + 1) },
          });
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      await call(server, "POST", links.commit);
    });
  },
  async download(server) {
    return measured(server, () =>
      run("curl", ["-sS", "-f", "-L", "-o", "/dev/null", ...server.curlAuth, server.content]),
    );
  },
  async ranges(server) {
    const quarter = size() / 4;
    return measured(server, () =>
      Promise.all(
        [0, 1, 2, 3].map((i) =>
          run("curl", [
            ...["-sS", "-f", "-L", "-o", "/dev/null", ...server.curlAuth],
            ...["-r", `${i * quarter}-${(i + 1) * quarter - 1}`, server.content],
          ]),
        ),
      ),
    );
  },
  async creates(server) {
    const many = join(work, "many.json");
    if (!existsSync(many)) {
      const drafts = Array.from({ length: records }, (_, i) => ({ title: `many ${i}` }));
      await writeFile(many, JSON.stringify(drafts));
    }
    // What a draft's commit leaves to the disk is flushed before, not charged to the next step.
    await run("sync", []);
    return measured(server, () =>
      run(process.execPath, [NRP_BIN, "create", "record", "documents", many, "--format", "json"], {
        env: server.cliEnv,
      }),
    );
  },
  async scan(server) {
    const out = join(work, `scan-${server.index}.jsonl`);
    const result = await measured(server, () =>
      run(process.execPath, [NRP_BIN, "scan", "records", "--format", "jsonl"], {
        env: server.cliEnv,
        stdout: out,
      }),
    );
    const lines = (await readFile(out, "utf8")).split("\n").filter((l) => l !== "").length;
    await rm(out);
    if (lines < scanRecords) throw new Error(`scan: ${lines} lines, fewer than ${scanRecords}`);
    return result;
  },
};

async function measured(server, fn) {
  const before = await cpuOf(server.process.pid);
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const after = await cpuOf(server.process.pid);
  const user = after.user - before.user;
  const sys = after.sys - before.sys;
  return { cpu: user + sys, user, sys, wall };
}

async function seeded(n, bin, target) {
  if (n === 0 || !(only.includes("scan") || only.includes("creates"))) {
    return mkdir(target, { recursive: true });
  }
  const cached = join(CACHE, `seed-${n}`);
  if (!existsSync(join(cached, ".complete"))) {
    console.error(`seeding ${n} records into ${cached} (once)`);
    await rm(cached, { recursive: true, force: true });
    await run(process.execPath, [bin, "seed", "--records", String(n), "--data-dir", cached]);
    await writeFile(join(cached, ".complete"), "");
  }
  await cp(cached, target, { recursive: true });
}

try {
  if (only.some((s) => s !== "scan" && s !== "creates")) await writeSource();
  const ca = await readFile(CA);
  for (const [index, s] of servers.entries()) {
    const dataDir = join(work, `data-${index}`);
    await seeded(scanRecords, s.bin, dataDir);
    const nodeArgs = [...nodeArgsOption];
    if (cpuProf !== undefined) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${cpuProf}/${index}`);
    Object.assign(s, await startDevserver({ dataDir, bin: s.bin, nodeArgs }), { index, ca });
    s.curlAuth = ["-H", `Authorization: Bearer ${s.token}`, "--cacert", CA];
    s.cliEnv = { NRP_INVENIO_CLIENT_CONFIG_FILE: join(work, `cli-${index}.yaml`), NO_COLOR: "1" };
    await run(
      process.execPath,
      [NRP_BIN, "add", "alias", s.url, "local", "--token", s.token, "--ca-bundle", CA, "--default"],
      { env: s.cliEnv },
    );
    if (only.includes("download") || only.includes("ranges")) {
      const links = await draftFiles(s, { key: "d.bin", size: size() });
      await call(s, "PUT", links.content, {
        body: () => createReadStream(source),
        type: "application/octet-stream",
        headers: { "content-length": String(size()) },
      });
      await call(s, "POST", links.commit);
      s.content = links.content;
    }
    s.results = {};
  }
  for (let r = 0; r < rounds; r++) {
    for (const step of only) {
      for (const s of servers) {
        const result = await steps[step](s);
        (s.results[step] ??= []).push(result);
        console.error(
          `round ${r + 1} ${step} ${s.name}: CPU ${result.cpu.toFixed(2)} s (user ${result.user.toFixed(2)}, sys ${result.sys.toFixed(2)}), wall ${result.wall.toFixed(2)} s`,
        );
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`\nDevserver CPU s (user + system), medians of ${rounds}, ${sizeMiB} MiB transfers:`);
  console.log(`| step | ${servers.map((s) => s.name).join(" | ")} |`);
  console.log(`|---|${servers.map(() => "---").join("|")}|`);
  for (const step of only) {
    const cells = servers.map((s) => {
      const rs = s.results[step];
      const m = (key) => median(rs.map((x) => x[key])).toFixed(2);
      return `${m("cpu")} (user ${m("user")}, sys ${m("sys")})`;
    });
    console.log(`| ${step} | ${cells.join(" | ")} |`);
  }
  const peaks = await Promise.all(
    servers.map(async (s) => {
      const status = await readFile(`/proc/${s.process.pid}/status`, "utf8");
      const mib = (field) =>
        Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
      return `${s.name} ${mib("VmHWM")} MiB (at the end: ${mib("RssAnon")} MiB anonymous, ${mib("RssFile")} MiB of mapped files)`;
    }),
  );
  console.log(`\nDevserver peak RSS over the whole run: ${peaks.join(", ")}`);
} finally {
  for (const s of servers) if (s.process !== undefined) await stopDevserver(s);
  await rm(work, { recursive: true, force: true });
}
