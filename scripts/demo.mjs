#!/usr/bin/env node
// End-to-end demo: starts a fresh devserver in a temporary directory and drives the real `nrp`
// CLI against it, printing every command before it runs. Exits non-zero if any step fails.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const nrpBin = join(root, "packages/cli/dist/bin.js");
const { startDevServer } = await import(join(root, "packages/server/dist/index.js"));

const work = await mkdtemp(join(tmpdir(), "nrp-demo-"));
const configFile = join(work, "config.yaml");
const server = await startDevServer({ dataDir: join(work, "data") });
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** Runs `nrp <args>` with the demo's config file, echoing the command line first. */
function nrp(args, { shown = args } = {}) {
  process.stdout.write(`\n${bold(`$ nrp ${shown.join(" ")}`)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nrpBin, ...args], {
      stdio: "inherit",
      env: { ...process.env, NRP_INVENIO_CLIENT_CONFIG_FILE: configFile },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`nrp ${shown.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

let failed = false;
try {
  console.log(`Started a local repository at ${server.url} (data in ${work})`);
  await nrp(["add", "alias", server.url, "local", "--default", "--token", server.tokens.owner], {
    shown: ["add", "alias", server.url, "local", "--default", "--token", "<owner's token>"],
  });
  await nrp(["list", "aliases"]);
  await nrp(["describe", "repository"]);
  await nrp(["describe", "models"]);
  await nrp(["describe", "models", "datasets", "--format", "yaml"]);
  const metadata = JSON.stringify({
    title: "Demo document",
    authors: [{ name: "Doe, Jane" }],
  });
  await nrp(["create", "record", "documents", metadata, "--no-files", "--set", "doc"]);
  await nrp(["update", "record", "@doc", JSON.stringify({ title: "Demo document, revised" })]);
  await nrp(["publish", "record", "@doc", "--set", "published"]);
  await nrp(["get", "record", "@published"]);
  await nrp(["list", "variables"]);
  console.log(`\n${bold("Demo finished: every step succeeded.")}`);
} catch (err) {
  failed = true;
  console.error(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
