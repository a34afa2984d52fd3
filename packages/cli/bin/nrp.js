#!/usr/bin/env node
// The installed `nrp` command. It lives outside dist/ so that npm can link it at install time,
// before a workspace build has written dist/. It loads the bundled CLI (scripts/bundle.mjs); a lone
// --version is answered from the bundle's version file alone, without loading the CLI. It uses the
// global `process`: importing node:process as an ES module cost --version ~3 ms of CPU and ~1 MiB.
/* global process */
import { VERSION_TEXT } from "../dist/bundle/version.js";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION_TEXT}\n`);
} else {
  await import("../dist/bundle/nrp.js");
}
