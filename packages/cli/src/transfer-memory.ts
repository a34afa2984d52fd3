// V8's young generation and the garbage of a transfer. Every 16 KiB TLS record of a download
// (and every chunk read for an upload) arrives in a Buffer of its own, dead once written, whose
// memory is freed only when a collection finds it. A young generation grown to its 16 MiB
// semi-spaces (start-up grows it) is collected rarely under a transfer's allocation pattern, so
// tens of MiB of such buffers pile up first; kept at its initial size it is collected often, and
// each collection is cheap. JSON-heavy commands (search, scan, many records) are the opposite:
// a small young generation costs them ~50 % more CPU, so they get V8's default growth back.
//
// `--semi-space-growth-factor` is read each time the young generation would grow, so it can be
// set at run time (unlike `--max-semi-space-size`); it has to be set before start-up grows it.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's default `--semi-space-growth-factor`. */
const DEFAULT_GROWTH = 2;

/**
 * Stops V8's young generation from growing (the CLI calls it first thing).
 *
 * Why: a 256 MiB download over HTTPS peaked at 82 MiB of RSS instead of 103-107 MiB, for
 * slightly less CPU; a command that is no transfer gets the default back with
 * {@link restoreYoungGenerationGrowth}.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * Lets V8's young generation grow again as by default.
 *
 * Why: commands that parse and build many JSON objects spend ~50 % more CPU with a young
 * generation kept at its initial size.
 */
export function restoreYoungGenerationGrowth(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
}

/** Bytes moved between two young-generation collections during a transfer. */
const COLLECT_EVERY_BYTES = 2 * 1024 * 1024;

/** V8's `gc()` (exposed on request), asked for a young-generation collection only. */
type CollectGarbage = (options: { type: "minor" }) => void;

let collectGarbage: CollectGarbage | undefined;

/**
 * V8's `gc()`, made available at run time: `--expose-gc` installs it in the contexts created
 * after it is set, so a fresh context is made to fetch it, and the flag is cleared again.
 */
function exposedGc(): CollectGarbage {
  if (collectGarbage === undefined) {
    setFlagsFromString("--expose-gc");
    collectGarbage = runInNewContext("gc") as CollectGarbage;
    setFlagsFromString("--no-expose-gc");
  }
  return collectGarbage;
}

/**
 * A transfer's `onBytes` that runs a young-generation collection every 2 MiB moved.
 *
 * Why: every TLS record (and every chunk read for an upload) is a buffer of its own, dead once
 * copied or sent, whose memory returns only when a collection finds it. Left to V8, a young
 * collection came every ~10 MiB: a 256 MiB download peaked at 78-86 MiB of RSS, an upload at
 * 85-87, against 72-77 and 70-71 with one every 2 MiB, for the same CPU (a collection of little
 * but garbage takes ~0.1 ms). Full collections as well, when buffers piled up behind 16 ranges,
 * took another ~5 MiB off but cost those downloads ~15 % more CPU (bench/RESULTS.md, "Memory").
 */
export function collectEvery(bytes: number = COLLECT_EVERY_BYTES): (moved: number) => void {
  const gc = exposedGc();
  let since = 0;
  return (moved) => {
    since += moved;
    if (since < bytes) return;
    since = 0;
    gc({ type: "minor" });
  };
}
