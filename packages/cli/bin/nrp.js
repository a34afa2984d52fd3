#!/usr/bin/env node
// The installed `nrp` command. It lives outside dist/ so that npm can link it at install time,
// before a workspace build has written dist/. It loads the bundled CLI (scripts/bundle.mjs); a lone
// --version is answered from the bundle's version file alone, without loading the CLI. It is
// CommonJS (bin/package.json): an ES module entry starts Node's ES module loader first, which cost
// --version ~4 ms of CPU and 1.5 MiB; the bundle's import below starts it only when needed.
/* global process, require */
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, see above
  process.stdout.write(`${require("../dist/bundle/version.json")}\n`);
} else {
  void import("../dist/bundle/nrp.js");
}
