#!/usr/bin/env node
// The installed `nrp` command. It lives outside dist/ so that npm can link it at install time,
// before a workspace build has written dist/. It loads the bundled CLI (scripts/bundle.mjs); a lone
// --version is answered from the bundle's version file alone, without loading the CLI.
import { argv, stdout } from "node:process";

const args = argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { VERSION_TEXT } = await import("../dist/bundle/version.js");
  stdout.write(`${VERSION_TEXT}\n`);
} else {
  await import("../dist/bundle/nrp.js");
}
