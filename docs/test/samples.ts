// Runs the code samples of the guides in docs/*.md: every ```ts and ```sh block, in page order,
// against a fresh devserver, so a guide cannot drift away from what the packages really do.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { startDevServer } from "nrp-invenio-devserver";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DOCS = join(ROOT, "docs");

/** One fenced block of a guide: its language, the page line of its first code line, its code. */
export interface Sample {
  page: string;
  lang: "ts" | "sh";
  line: number;
  code: string;
}

/**
 * The ```ts and ```sh blocks of a page, in order. Other fences (text, console, yaml) are prose,
 * and so is a ts or sh fence with more words after the language (```sh not-run).
 */
export function extractSamples(page: string, markdown: string): Sample[] {
  const samples: Sample[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, fence = "", info = ""] = open;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1]?.trimEnd() !== fence) i++;
    const code = lines.slice(start, i + 1).join("\n");
    i++; // the closing fence
    const lang = info.trim();
    if (lang === "ts" || lang === "sh") samples.push({ page, lang, line: start + 1, code });
  }
  return samples;
}

/** Where a ts sample is written under `dir`: `.mts` for the type check, `.mjs` for node. */
function modulePath(dir: string, sample: Sample, ext: "mts" | "mjs"): string {
  return join(dir, sample.page.replace(/\.md$/, ""), `line-${String(sample.line)}.${ext}`);
}

/** Where a failure or a type error is reported: the page and the line within it. */
function where(sample: Sample, lineInSample = 0): string {
  return `docs/${sample.page}:${String(sample.line + lineInSample)}`;
}

/**
 * Type-checks the ts samples of all pages in one program under the repository's strict settings
 * and returns the messages per page, each prefixed with `page:line`.
 */
export function typeCheck(dir: string, samples: readonly Sample[]): Map<string, string[]> {
  const base = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, "tsconfig.base.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  const options: ts.CompilerOptions = {
    ...base?.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
  };
  const files = new Map<string, Sample>();
  for (const sample of samples.filter((s) => s.lang === "ts"))
    files.set(modulePath(dir, sample, "mts"), sample);
  const program = ts.createProgram([...files.keys()], options);
  const byPage = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    const sample = file && files.get(file.fileName);
    const at = sample
      ? where(sample, file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line)
      : "(type check)";
    const page = sample?.page ?? "*";
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    byPage.set(page, [...(byPage.get(page) ?? []), `${at}: ${message}`]);
  }
  return byPage;
}

/** Writes each ts sample as `.mts` (for the type check) and transpiled `.mjs` (to run). */
export async function writeModules(dir: string, samples: readonly Sample[]): Promise<void> {
  for (const sample of samples.filter((s) => s.lang === "ts")) {
    const js = ts.transpileModule(sample.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    await mkdir(join(modulePath(dir, sample, "mts"), ".."), { recursive: true });
    await writeFile(modulePath(dir, sample, "mts"), sample.code);
    await writeFile(modulePath(dir, sample, "mjs"), js);
  }
}

/** A page running longer than this is stopped and fails (the sequence gets this per page). */
const PAGE_TIMEOUT_MS = 280_000;

/** The marker line the shell prints before each block, to tell which one failed. */
const MARKER = "@@@nrp-docs-block@@@";

/** The devservers and variables every guide may assume (see docs/README.md, "Before you start"). */
async function startServers(work: string): Promise<{
  env: NodeJS.ProcessEnv;
  close: () => Promise<void>;
}> {
  const server = await startDevServer({ dataDir: join(work, "server") });
  const rdm = await startDevServer({ dataDir: join(work, "server-rdm"), flavour: "rdm" });
  return {
    env: {
      REPO_URL: server.url,
      REPO_TOKEN: server.tokens.owner,
      CURATOR_TOKEN: server.tokens.curator,
      DEVSERVER_ADMIN_TOKEN: server.tokens.admin,
      RDM_URL: rdm.url,
      RDM_TOKEN: rdm.tokens.owner,
      RDM_CURATOR_TOKEN: rdm.tokens.curator,
      RDM_ADMIN_TOKEN: rdm.tokens.admin,
    },
    close: async () => {
      await server.close();
      await rdm.close();
    },
  };
}

/**
 * Runs `samples` in order in ONE bash process, as a reader pasting them into one terminal would:
 * each sh block is sourced (its variables, functions, `cd` and `export`s stay for the next), each
 * ts block runs with `node` from that shell (with its environment and working directory). The
 * shell has `set -euo pipefail`, so the first failing command stops everything; the error names
 * the block it was in and shows that block's output.
 */
async function runSession(
  samples: readonly Sample[],
  modulesDir: string,
  work: string,
  serverEnv: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<void> {
  const home = join(work, "home");
  const cwd = join(work, "cwd");
  const blocks = join(work, "blocks");
  await mkdir(home, { recursive: true, mode: 0o700 });
  await mkdir(cwd, { recursive: true });
  await mkdir(blocks, { recursive: true });
  const lines = ["set -euo pipefail", "exec 2>&1"];
  for (const [i, sample] of samples.entries()) {
    lines.push(`printf '\\n%s %s\\n' '${MARKER}' '${String(i)}'`);
    if (sample.lang === "sh") {
      const file = join(blocks, `${String(i)}.sh`);
      await writeFile(file, `${sample.code}\n`);
      lines.push(`source '${file}'`);
    } else {
      lines.push(`node '${modulePath(modulesDir, sample, "mjs")}'`);
    }
  }
  lines.push(`printf '\\n%s end\\n' '${MARKER}'`);
  const script = join(work, "session.sh");
  await writeFile(script, `${lines.join("\n")}\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
    HOME: home,
    TMPDIR: work,
    NO_COLOR: "1",
    ...serverEnv,
  };
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    // Its own process group, so that a devserver a guide started in the background goes too.
    const child = spawn("bash", ["--norc", "--noprofile", script], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    const stop = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      text += `\n(stopped after ${String(timeoutMs / 1000)} s)`;
      stop();
    }, timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      stop();
      resolve({ code: status ?? 1, output: text });
    });
  });
  const parts = output.split(`\n${MARKER} `);
  if (process.env.DOCS_SHOW_OUTPUT) {
    for (const part of parts.slice(1)) {
      const [index = "", ...rest] = part.split("\n");
      const sample = samples[Number(index)];
      console.log(`${sample ? where(sample) : index}\n${rest.join("\n")}`);
    }
  }
  const last = parts.at(-1) ?? "";
  const [index = "", ...rest] = last.split("\n");
  if (code === 0 && index === "end") return;
  const sample = samples[Number(index)];
  if (sample === undefined)
    throw new Error(`the guides' shell exited with code ${String(code)}\n${output}`);
  throw new Error(
    `${where(sample)}: the ${sample.lang} sample exited with code ${String(code)}\n${rest.join("\n")}`,
  );
}

/**
 * Runs a page's samples in order in one shell against fresh devservers, in an empty HOME: the
 * page's own "Before you start" block has to create the aliases and records it needs from the
 * variables of docs/README.md (`REPO_URL`, `REPO_TOKEN`, `CURATOR_TOKEN`, `DEVSERVER_ADMIN_TOKEN`,
 * and `RDM_URL`, `RDM_TOKEN`, `RDM_CURATOR_TOKEN`, `RDM_ADMIN_TOKEN` for a second devserver in the
 * plain InvenioRDM flavour). Throws at the first failing command, naming the page and the line
 * of its block; `DOCS_SHOW_OUTPUT=1` prints every block's output.
 */
export async function runPage(page: string, modulesDir: string, docs = DOCS): Promise<void> {
  await runPages([page], modulesDir, docs);
}

/**
 * Runs the samples of all `pages`, in that order, in one shell against one pair of devservers
 * and one HOME: what a reader following every guide in turn does. A guide that leaves an
 * exported variable, a changed default alias or records behind that break a later guide fails
 * here, though each passes on its own.
 */
export async function runPages(
  pages: readonly string[],
  modulesDir: string,
  docs = DOCS,
): Promise<void> {
  const samples: Sample[] = [];
  for (const page of pages)
    samples.push(...extractSamples(page, await readFile(join(docs, page), "utf8")));
  const work = await tempDirectory("nrp-docs-run-");
  const servers = await startServers(work);
  try {
    await runSession(samples, modulesDir, work, servers.env, PAGE_TIMEOUT_MS * pages.length);
  } finally {
    await servers.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** A fresh directory inside the repository, so samples resolve the workspace's packages. */
async function tempDirectory(prefix: string): Promise<string> {
  await mkdir(join(ROOT, "node_modules/.cache"), { recursive: true });
  return mkdtemp(join(ROOT, "node_modules/.cache", prefix));
}

/** A fresh directory for the samples' modules (see {@link writeModules}). */
export function modulesDirectory(): Promise<string> {
  return tempDirectory("nrp-docs-modules-");
}
