import { readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { run, tempHome } from "./helpers.js";

describe("variables", () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  const nrp = (argv: string[], opts: Parameters<typeof run>[1] = {}) =>
    run(["--config", home.config, ...argv], { env: { ...home.env, NO_COLOR: "1" }, ...opts });

  beforeAll(async () => {
    home = await tempHome();
    for (const [url, alias] of [
      ["http://127.0.0.1:9", "dev"],
      ["http://127.0.0.1:10", "other"],
    ] as const) {
      const r = await nrp(["add", "alias", url, alias, "--skip-token", "--no-check"]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await home.cleanup();
  });

  it("set, get, list and remove; the file is 0600 and keyed by alias", async () => {
    const set = await nrp(["set", "variable", "r", "datasets/abcde-12345", "draft/datasets/x"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('Set @r for "dev" (2 values).');
    expect(JSON.parse(set.stdout)).toEqual({
      name: "r",
      alias: "dev",
      values: ["datasets/abcde-12345", "draft/datasets/x"],
    });

    const file = join(dirname(home.config), "variables.yaml");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(parseYaml(await readFile(file, "utf8"))).toEqual({
      dev: { r: ["datasets/abcde-12345", "draft/datasets/x"] },
    });

    const get = await nrp(["get", "variable", "@r"]);
    expect(get.code, get.stderr).toBe(0);
    expect((JSON.parse(get.stdout) as { values: string[] }).values).toHaveLength(2);

    const table = await nrp(["variable", "get", "r"], { tty: true });
    expect(table.stdout).toMatch(/│ values\s+│ datasets\/abcde-12345\s+│/);

    // Another alias has its own namespace.
    const elsewhere = await nrp(["--alias", "other", "get", "variable", "r"]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(
      'There is no variable @r for the repository "other"; variables are kept per alias, and @r exists under "dev".',
    );
    expect(elsewhere.stderr).toContain("Run the command with --alias dev");

    const list = await nrp(["list", "variables", "--format", "jsonl"]);
    expect(
      list.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ name: "r", alias: "dev", values: ["datasets/abcde-12345", "draft/datasets/x"] }]);

    const rm = await nrp(["variable", "rm", "r"]);
    expect(rm.code, rm.stderr).toBe(0);
    const gone = await nrp(["get", "variable", "r"]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain("There is no variable @r");
  });

  it("--append and @other copy values", async () => {
    await nrp(["set", "variable", "a", "datasets/a"]);
    await nrp(["set", "variable", "b", "datasets/b"]);
    const r = await nrp(["set", "variable", "a", "@b", "datasets/c", "--append"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { values: string[] }).values).toEqual([
      "datasets/a",
      "datasets/b",
      "datasets/c",
    ]);
    const unknown = await nrp(["set", "variable", "c", "@nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Known variables: @a, @b.");
  });

  it("list variables as a table; empty list message", async () => {
    const table = await nrp(["list", "variables"], { tty: true });
    expect(table.stdout).toMatch(/│ @a\s+│ datasets\/a/);
    const empty = await nrp(["--alias", "other", "list", "variables"], { tty: true });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toContain('No variables for "other" yet');
  });

  it("bad names and a corrupt file are usage errors", async () => {
    const bad = await nrp(["set", "variable", "1x", "v"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"1x" is not a valid variable name.');
    const file = join(dirname(home.config), "variables.yaml");
    const before = await readFile(file, "utf8");
    await writeFile(file, "dev: [unclosed\n");
    const corrupt = await nrp(["list", "variables"]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain(`The variables file ${file} is invalid`);
    await writeFile(file, before);
  });

  it("NRP_INVENIO_CLIENT_ALIAS picks the alias of variables and client alike; --alias wins", async () => {
    const env = {
      ...home.env,
      NO_COLOR: "1",
      NRP_INVENIO_CLIENT_ALIAS: "other",
      NRP_INVENIO_CLIENT_RETRY_COUNT: "0",
    };
    const set = await nrp(["set", "variable", "envvar", "datasets/e1"], { env });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('Set @envvar for "other"');
    const file = join(dirname(home.config), "variables.yaml");
    const stored = parseYaml(await readFile(file, "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    expect(stored["other"]?.["envvar"]).toEqual(["datasets/e1"]);
    expect(stored["dev"]?.["envvar"]).toBeUndefined();

    // The record named by the variable is read from the same repository (other = port 10).
    const get = await nrp(["--verbose", "get", "record", "@envvar"], { env });
    expect(get.stderr).toContain("using http://127.0.0.1:10 (other,");
    expect(get.code).toBe(6);

    const flagWins = await nrp(["--alias", "dev", "get", "variable", "envvar"], { env });
    expect(flagWins.code).toBe(2);
    expect(flagWins.stderr).toContain('There is no variable @envvar for the repository "dev"');
    expect(flagWins.stderr).toContain('@envvar exists under "other"');
  });

  it("without any alias, variables are a usage error", async () => {
    const empty = await tempHome();
    try {
      const r = await run(["--config", empty.config, "list", "variables"], { env: empty.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("No repository alias is configured");
    } finally {
      await empty.cleanup();
    }
  });
});
