#!/usr/bin/env node
// Marks the workspace packages' `bin` files executable after a build. npm links them into
// node_modules/.bin at install time, before tsc has written them, so a fresh clone would otherwise
// have `nrp` and `nrp-devserver` links to files that cannot be executed.
import { chmod, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { workspaces } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
for (const workspace of workspaces) {
  const manifest = JSON.parse(await readFile(join(root, workspace, "package.json"), "utf8"));
  const bins =
    typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
  for (const bin of bins) await chmod(join(root, workspace, bin), 0o755);
}
