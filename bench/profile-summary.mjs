#!/usr/bin/env node
// Summarises V8 CPU profiles (`node --cpu-prof`): for each .cpuprofile file given (or every one in
// a directory), the sampled time and the functions that took most of it by self time, so that
// where a process's CPU goes can be read without a profiler UI.
//
// Usage: node bench/profile-summary.mjs <file.cpuprofile | dir> [...] [--top 10]
// e.g. NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" node bench/far-sweep.mjs --up "" --down 4
//      node bench/profile-summary.mjs /tmp/prof
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";

const argv = process.argv.slice(2);
const topAt = argv.indexOf("--top");
const top = topAt === -1 ? 10 : Number(argv[topAt + 1]);
const inputs = argv.filter((a, i) => a !== "--top" && i !== topAt + 1);

const files = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const name of (await readdir(input)).sort()) {
      if (name.endsWith(".cpuprofile")) files.push(join(input, name));
    }
  } else {
    files.push(input);
  }
}

for (const file of files) {
  const profile = JSON.parse(await readFile(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    const frame = node.callFrame;
    const where = frame.url ? basename(frame.url.split("?")[0]) : "";
    const key = `${frame.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get("(idle)") ?? 0;
  console.log(
    `${basename(file)}: ${(total / 1e6).toFixed(2)} s sampled, ${((total - idle) / 1e6).toFixed(2)} s busy (main thread)`,
  );
  const rows = [...self].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]);
  for (const [key, us] of rows.slice(0, top)) {
    console.log(`  ${(us / 1e6).toFixed(3).padStart(7)} s  ${key}`);
  }
}
