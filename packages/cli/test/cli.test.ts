import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

import { describe, expect, it } from "vitest";
import { VERSION as CLIENT_VERSION } from "nrp-invenio-client";
import { CLI_VERSION } from "nrp-invenio-cli";

import { run, tempHome } from "./helpers.js";

describe("help, version and usage errors", () => {
  it("--version prints the CLI and client versions", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`nrp ${CLI_VERSION} (nrp-invenio-client ${CLIENT_VERSION})\n`);
  });

  it("--help at the top lists commands, formats and exit codes", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["add", "select", "remove", "list", "describe", "--format", "Exit codes"]) {
      expect(r.stdout).toContain(word);
    }
    expect(r.stdout).toContain("table (default on a terminal), json (default otherwise");
  });

  it.each([
    ["add", "alias"],
    ["alias", "add"],
    ["select", "alias"],
    ["remove", "alias"],
    ["list", "aliases"],
    ["describe", "repository"],
    ["describe", "models"],
    ["models", "describe"],
  ])("nrp %s %s --help has a description and examples", async (a, b) => {
    const r = await run([a, b, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nrp \S+ \S+/);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toMatch(/\$ nrp /);
  });

  it("add alias --help explains the token flow", async () => {
    const r = await run(["add", "alias", "--help"]);
    expect(r.stdout).toContain("/account/settings/applications/tokens/new");
    for (const f of [
      "--token",
      "--skip-token",
      "--no-verify",
      "--default",
      "--force",
      "--no-check",
    ]) {
      expect(r.stdout).toContain(f);
    }
  });

  it("a group without its subcommand prints help and exits 2", async () => {
    const r = await run(["add"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("alias");
  });

  it("unknown option: exit 2 with a usage hint", async () => {
    const r = await run(["list", "aliases", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error: unknown option '--bogus'");
    expect(r.stderr).toContain('Run "nrp list aliases --help" for usage.');
  });

  it("unknown command and missing argument: exit 2", async () => {
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Error: unknown command 'frobnicate'/m);
    const missing = await run(["select", "alias"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'alias'");
    const extra = await run(["select", "alias", "a", "b"]);
    expect(extra.code).toBe(2);
  });

  it("bad --format value: exit 2 listing the choices", async () => {
    const r = await run(["list", "aliases", "--format", "xml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("table, json, jsonl, yaml");
  });

  it("usage errors are JSON on stderr with --format json", async () => {
    const r = await run(["--format", "json", "list", "aliases", "--bogus"]);
    expect(r.code).toBe(2);
    const err = (JSON.parse(r.stderr) as { error: Record<string, unknown> }).error;
    expect(err["exit_code"]).toBe(2);
    expect(err["code"]).toBe("commander.unknownOption");
  });

  it("the default format is json off a terminal and a table on one", async () => {
    const home = await tempHome();
    try {
      const env = { ...home.env, NRP_INVENIO_CLIENT_CONFIG_FILE: home.config };
      const pipe = await run(["list", "aliases"], { env });
      expect(pipe.stdout).toBe("[]\n");
      const tty = await run(["list", "aliases"], { env, tty: true });
      expect(tty.stdout).toBe("");
    } finally {
      await home.cleanup();
    }
  });

  it("a corrupt configuration file is a usage error naming it", async () => {
    const home = await tempHome();
    try {
      await mkdir(dirname(home.config), { recursive: true });
      await writeFile(home.config, "repositories: [ {alias: x, server_url: 12\n");
      const r = await run(["--config", home.config, "list", "aliases"], { env: home.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(home.config);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await home.cleanup();
    }
  });

  it("a configuration file of exponentially nested aliases is a usage error, not a crash", async () => {
    const home = await tempHome();
    try {
      await mkdir(dirname(home.config), { recursive: true });
      await writeFile(home.config, billionLaughs());
      const r = await run(["--config", home.config, "list", "aliases"], { env: home.env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(home.config);
      expect(r.stderr).toMatch(/aliases/i);
      expect(r.stderr).not.toMatch(/bug in nrp|\n\s+at /);
    } finally {
      await home.cleanup();
    }
  });
});

/** YAML whose aliases expand to 9^9 entries: a config file must be refused, not expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = "abcdefghi";
  for (let i = 1; i < names.length; i++) {
    const p = `*${names.charAt(i - 1)}`;
    lines.push(`${names.charAt(i)}: &${names.charAt(i)} [${Array(9).fill(p).join(",")}]`);
  }
  return `${lines.join("\n")}\nrepositories: []\n`;
}
