// What `/usr/bin/time -f TIME_FORMAT -o FILE` wrote about one process, read back: the benchmark
// scripts measure every command this way.
import { readFile } from "node:fs/promises";

/** User and system CPU seconds, peak RSS in KiB, minor page faults. */
export const TIME_FORMAT = "%U %S %M %R";

/** The figures of a TIME_FORMAT file: CPU (user + system) and system seconds, peak RSS, faults. */
export async function readTimeFile(path) {
  const [user, system, kib, faults] = (await readFile(path, "utf8"))
    .trim()
    .split("\n")
    .at(-1)
    .split(" ");
  return {
    cpu: Number(user) + Number(system),
    sys: Number(system),
    rssMiB: Number(kib) / 1024,
    faults: Number(faults),
  };
}
