#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

import { processIO } from "./io.js";
import { main } from "./main.js";
import { keepYoungGenerationSmall } from "./transfer-memory.js";

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it twice by default, the
// second time with its optimising compiler, which costs a command ~35 MB of peak RSS and ~0.05 s
// of CPU; the baseline compiler alone parses a 1 GiB download just as fast (bench/RESULTS.md).
// Set before the first request compiles the parser (nothing above loads undici).
setFlagsFromString("--liftoff-only");
// Before start-up grows it: transfers keep V8's young generation small (lower peak RSS), every
// other command gets the default growth back when it starts (transfer-memory.ts).
keepYoungGenerationSmall();

// The first Ctrl-C aborts the running command (it exits 130 after cleaning up); a second one quits.
const controller = new AbortController();
process.once("SIGINT", () => {
  controller.abort();
  process.once("SIGINT", () => {
    process.exit(130);
  });
});

// A reader that goes away (nrp … | head) ends the output, as it does for any Unix tool: quietly,
// with the status a shell reports for SIGPIPE, instead of an unhandled-error stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    controller.abort();
    process.exit(141);
  });
}

process.exitCode = await main(process.argv.slice(2), processIO(controller.signal));
