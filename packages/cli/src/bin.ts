#!/usr/bin/env node
import { processIO } from "./io.js";
import { main } from "./main.js";

// The first Ctrl-C aborts the running command (it exits 130 after cleaning up); a second one quits.
const controller = new AbortController();
process.once("SIGINT", () => {
  controller.abort();
  process.once("SIGINT", () => {
    process.exit(130);
  });
});

process.exitCode = await main(process.argv.slice(2), processIO(controller.signal));
