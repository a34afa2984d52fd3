// The README's quick start, run literally: its first block (the devserver, "one terminal") in the
// background, then every other block of the section in order in a fresh HOME and an empty working
// directory, as someone who just ran `npm install && npm run demo` in the checkout would.
import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ROOT,
  type Sample,
  extractSamples,
  modulesDirectory,
  typeCheck,
  writeModules,
} from "./samples.js";

/** The `## Quick start` section of the README: from its heading to the next `## ` heading. */
function quickStart(readme: string): string {
  const start = readme.indexOf("\n## Quick start\n");
  if (start === -1) throw new Error("README.md has no '## Quick start' section");
  const next = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, next === -1 ? undefined : next);
}

/**
 * Whether this process may make a private network namespace (`unshare -rn`): the quick start
 * names port 5000, which another program (or a parallel test run) may hold on this machine; in
 * its own namespace the devserver always gets it.
 */
function canUnshare(): boolean {
  try {
    execFileSync("unshare", ["-rn", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The shell script that plays the reader: server in one terminal, commands in the other. */
function driver(server: string, steps: readonly string[], isolated: boolean): string {
  return [
    "set -u",
    // One stream, so that each command's output follows its trace line.
    "exec 2>&1",
    isolated ? "ip link set lo up || /sbin/ip link set lo up || /usr/sbin/ip link set lo up" : "",
    // Terminal 1. Its own process group, so that stopping it stops npx and the server below it.
    `set -m; bash --norc --noprofile ${server} > server.log 2>&1 & server=$!; set +m`,
    "for _ in $(seq 600); do",
    "  grep -q 'Press Ctrl+C to stop' server.log && break",
    '  kill -0 "$server" 2> /dev/null || { echo "the devserver stopped:"; cat server.log; exit 90; }',
    "  sleep 0.1",
    "done",
    "grep -q 'Press Ctrl+C to stop' server.log || { echo 'no devserver after 60 s:'; cat server.log; exit 91; }",
    // Terminal 2: each block as typed, stopping at the first failing command.
    "status=0",
    ...steps.map((step) => `[ "$status" = 0 ] && { ${step} || status=$?; }`),
    'kill -INT -- "-$server"; wait "$server"',
    'exit "$status"',
  ].join("\n");
}

describe("README quick start", () => {
  let work = "";
  let samples: Sample[] = [];
  let typeErrors: string[] = [];

  beforeAll(async () => {
    samples = extractSamples(
      "README.md",
      quickStart(await readFile(join(ROOT, "README.md"), "utf8")),
    );
    work = await modulesDirectory();
    await writeModules(work, samples);
    typeErrors = [...typeCheck(work, samples).values()].flat();
  }, 120_000);

  afterAll(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  test("the section starts the devserver, then deposits and finds a record", () => {
    expect(samples[0]?.lang).toBe("sh");
    expect(samples[0]?.code.trim()).toMatch(/^npx nrp-devserver /);
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(typeErrors).toEqual([]);
  });

  test("runs as written in a fresh HOME against a fresh devserver", async () => {
    const [server, ...rest] = samples;
    if (server === undefined) throw new Error("no quick start");
    const home = join(work, "home");
    const cwd = join(work, "checkout");
    await mkdir(home, { recursive: true });
    await mkdir(cwd, { recursive: true });
    await writeFile(join(work, "server.sh"), server.code);
    const steps: string[] = [];
    for (const sample of rest) {
      if (sample.lang === "sh") {
        const file = join(work, `block-${String(sample.line)}.sh`);
        await writeFile(file, sample.code);
        // Traced, so that the output can be checked command by command.
        steps.push(
          `echo '### README.md:${String(sample.line)}'; bash --norc --noprofile -euo pipefail -x ${file}`,
        );
      } else {
        steps.push(
          `echo '### README.md:${String(sample.line)}'; node ${join(work, "README", `line-${String(sample.line)}.mjs`)}`,
        );
      }
    }
    const isolated = canUnshare();
    const script = join(work, "driver.sh");
    await writeFile(script, driver(join(work, "server.sh"), steps, isolated));
    await chmod(script, 0o755);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      TMPDIR: work,
      NO_COLOR: "1",
      PS4: "+ ",
      // npm would ask the registry whether it is outdated on every npx: not part of the test.
      npm_config_update_notifier: "false",
    };
    const started = Date.now();
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      const [command, args] = isolated
        ? ["unshare", ["-rn", "bash", "--norc", "--noprofile", script]]
        : ["bash", ["--norc", "--noprofile", script]];
      execFile(
        command,
        args,
        { cwd, env, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const status = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code: status, output: `${stdout}${stderr}` });
        },
      );
    });
    const log = await readFile(join(cwd, "server.log"), "utf8").catch(() => "");
    expect(code, `${output}\n--- devserver ---\n${log}`).toBe(0);
    // The search of the quick start finds the record deposited above it.
    const search = /^\+ npx nrp search records[^\n]*\n([\s\S]*?)^\+ /m.exec(output)?.[1] ?? "";
    expect(search, output).toContain("My report");
    expect(output).toContain("identical");
    const everything = await readFile(join(cwd, "everything.jsonl"), "utf8");
    expect(everything).toContain('"My report"');
    expect(output).toMatch(/published \S+/);
    console.log(
      `README quick start: ${String(Math.round((Date.now() - started) / 1000))} s` +
        (isolated ? " (own network namespace)" : " (host network)"),
    );
  }, 300_000);
});
