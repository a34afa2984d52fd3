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
