#!/usr/bin/env node
// End-to-end demo: starts a fresh devserver in a temporary directory and drives the real `nrp`
// CLI through a whole deposit, printing every command before it runs: a depositor creates a
// dataset, uploads a 200 MB file in parts, asks for publication; a curator accepts; the file is
// downloaded from the published record and compared. Exits non-zero if any step fails.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const nrpBin = join(root, "packages/cli/dist/bin.js");
const { startDevServer } = await import(join(root, "packages/server/dist/index.js"));

const FILE_MB = Number(process.env.NRP_DEMO_FILE_MB ?? 200);
const work = await mkdtemp(join(tmpdir(), "nrp-demo-"));
const configFile = join(work, "config.yaml");
const server = await startDevServer({ dataDir: join(work, "data") });
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/**
 * Runs `nrp <args>` with the demo's config file, echoing the command line first. With `capture`
 * the standard output is returned instead of shown.
 */
function nrp(args, { shown = args, capture = false } = {}) {
  process.stdout.write(`\n${bold(`$ nrp ${shown.join(" ")}`)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nrpBin, ...args], {
      stdio: ["inherit", capture ? "pipe" : "inherit", "inherit"],
      env: { ...process.env, NRP_INVENIO_CLIENT_CONFIG_FILE: configFile },
    });
    let out = "";
    child.stdout?.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`nrp ${shown.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

function say(text) {
  process.stdout.write(`\n# ${text}\n`);
}

async function sha256(path) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/** Writes `mb` megabytes of deterministic pseudo-random bytes. */
async function makeFile(path, mb) {
  const fh = await open(path, "w");
  const block = Buffer.alloc(1024 * 1024);
  let x = 2463534242;
  for (let i = 0; i < mb; i++) {
    for (let j = 0; j < block.length; j += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      block.writeUInt32LE(x >>> 0, j);
    }
    await fh.write(block);
  }
  await fh.close();
}

let failed = false;
try {
  console.log(`Started a local repository at ${server.url} (data in ${work})`);
  say("Register the repository twice: as the depositor (default) and as a curator.");
  await nrp(["add", "alias", server.url, "local", "--default", "--token", server.tokens.owner], {
    shown: ["add", "alias", server.url, "local", "--default", "--token", "<depositor's token>"],
  });
  await nrp(["add", "alias", server.url, "curator", "--token", server.tokens.curator], {
    shown: ["add", "alias", server.url, "curator", "--token", "<curator's token>"],
  });
  await nrp(["list", "aliases"]);

  say("What does the repository offer?");
  await nrp(["describe", "repository"]);
  await nrp(["describe", "models"]);

  say("Deposit a dataset in the physics community.");
  const metadata = JSON.stringify({
    title: "Cosmic ray counts, Prague 2026",
    creators: [{ name: "Doe, Jane", affiliation: "Example University" }],
    resource_type: "dataset",
    keywords: ["cosmic rays", "muons"],
  });
  await nrp(["create", "record", "datasets", metadata, "--community", "physics", "--set", "ds"]);

  const dataFile = join(work, "counts.bin");
  await makeFile(dataFile, FILE_MB);
  say(`Upload a ${FILE_MB} MB file in parallel parts (a progress bar shows on a terminal).`);
  await nrp(
    [
      "upload",
      "file",
      "@ds",
      dataFile,
      JSON.stringify({ description: "raw counts" }),
      "--transfer",
      "M",
    ],
    {
      shown: [
        "upload",
        "file",
        "@ds",
        "counts.bin",
        '\'{"description":"raw counts"}\'',
        "--transfer",
        "M",
      ],
    },
  );
  await nrp(["list", "files", "@ds"]);

  say("Datasets are curated: publishing submits a request to the community's curators.");
  await nrp(["publish", "record", "@ds", "--set", "review"]);
  const requestUrl = JSON.parse(
    await nrp(["get", "variable", "review", "--format", "json"], { capture: true }),
  ).values[0];

  say("The curator finds it in their inbox and accepts it.");
  await nrp(["--alias", "curator", "list", "requests", "--inbox"]);
  await nrp(["--alias", "curator", "accept", "request", requestUrl, "Looks good, thank you!"]);

  say("Find it again: a search with the query language, then a scan of every matching record.");
  await nrp(["search", "records", "cosmic AND metadata.keywords:muons", "--model", "datasets"], {
    shown: ["search", "records", "'cosmic AND metadata.keywords:muons'", "--model", "datasets"],
  });
  await nrp([
    "scan",
    "records",
    "metadata.resource_type:dataset",
    "--format",
    "jsonl",
    "--fields",
    "id,metadata.title",
  ]);

  say("The dataset is published; anyone can download and verify its file.");
  await nrp(["get", "record", "@ds", "--published"]);
  const downloads = join(work, "downloads");
  await mkdir(downloads);
  await nrp(["download", "file", "@ds", "counts.bin", "--published", "-o", `${downloads}/`], {
    shown: ["download", "file", "@ds", "counts.bin", "--published", "-o", "downloads/"],
  });
  const [original, downloaded] = await Promise.all([
    sha256(dataFile),
    sha256(join(downloads, "counts.bin")),
  ]);
  if (original !== downloaded) throw new Error("the downloaded file differs from the uploaded one");
  console.log(`\nsha256 of the upload and the download: ${original} (identical)`);
  console.log(`\n${bold("Demo finished: every step succeeded.")}`);
} catch (err) {
  failed = true;
  console.error(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
