// Runs the code samples of the guides in docs/*.md: every ```ts and ```sh block, in page order,
// against a fresh devserver, so a guide cannot drift away from what the packages really do.
import { execFile } from "node:child_process";
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

/** A sample that runs longer than this is stopped and fails its page. */
const SAMPLE_TIMEOUT_MS = 120_000;

/** Exit code and output of a child process, whatever the exit code. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, timeout: SAMPLE_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      const killed = error?.killed ? `\n(stopped after ${String(SAMPLE_TIMEOUT_MS / 1000)} s)` : "";
      resolve({ code, output: `${stdout}${stderr ? `\n--- stderr ---\n${stderr}` : ""}${killed}` });
    });
  });
}

/**
 * Runs a page's samples in order against a fresh devserver, sharing one working directory and
 * one HOME whose ~/.nrp/config.yaml has the aliases `local` (default, the user `owner`) and
 * `curator`, and `rdm`, `rdm-curator`, `rdm-admin` for a second devserver in the plain
 * InvenioRDM flavour (the owner, the curator of `physics`, the administrator). `REPO_URL`, `REPO_TOKEN` (the owner's) and `DEVSERVER_ADMIN_TOKEN` (for fault
 * injection) are in the environment. Throws at the first sample that exits non-zero, naming the
 * page and line; `DOCS_SHOW_OUTPUT=1` prints every sample's output.
 */
export async function runPage(page: string, modulesDir: string, docs = DOCS): Promise<void> {
  const samples = extractSamples(page, await readFile(join(docs, page), "utf8"));
  const work = await tempDirectory("nrp-docs-run-");
  const server = await startDevServer({ dataDir: join(work, "server") });
  const rdm = await startDevServer({ dataDir: join(work, "server-rdm"), flavour: "rdm" });
  try {
    const home = join(work, "home");
    const cwd = join(work, "cwd");
    await mkdir(join(home, ".nrp"), { recursive: true, mode: 0o700 });
    await mkdir(cwd);
    const alias = (name: string, token: string, url = server.url) =>
      `  - alias: ${name}\n    server_url: ${url}\n    token: ${token}\n`;
    await writeFile(
      join(home, ".nrp/config.yaml"),
      `repositories:\n${alias("local", server.tokens.owner)}${alias("curator", server.tokens.curator)}` +
        alias("rdm", rdm.tokens.owner, rdm.url) +
        alias("rdm-curator", rdm.tokens.curator, rdm.url) +
        alias("rdm-admin", rdm.tokens.admin, rdm.url) +
        "default_repository: local\n",
      { mode: 0o600 },
    );
    const env: NodeJS.ProcessEnv = {
      PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
      HOME: home,
      TMPDIR: work,
      NO_COLOR: "1",
      REPO_URL: server.url,
      REPO_TOKEN: server.tokens.owner,
      DEVSERVER_ADMIN_TOKEN: server.tokens.admin,
    };
    const bash = ["--norc", "--noprofile", "-euo", "pipefail", "-c"];
    for (const sample of samples) {
      const { code, output } =
        sample.lang === "sh"
          ? await run("bash", [...bash, sample.code], { cwd, env })
          : await run(process.execPath, [modulePath(modulesDir, sample, "mjs")], { cwd, env });
      if (process.env.DOCS_SHOW_OUTPUT) console.log(`${where(sample)}\n${output}`);
      if (code !== 0)
        throw new Error(
          `${where(sample)}: the ${sample.lang} sample exited with code ${String(code)}\n${output}`,
        );
    }
  } finally {
    await server.close();
    await rdm.close();
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
