// The extraction rules the guides rely on: which fences run and which line a failure names.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { extractSamples, modulesDirectory, runPage, typeCheck, writeModules } from "./samples.js";

describe("extractSamples", () => {
  test("takes ts and sh fences with the page line of their first code line", () => {
    const page = [
      "# Title", // 1
      "```sh", // 2
      "nrp list aliases", // 3
      "```", // 4
      "```text", // 5
      "not run", // 6
      "```", // 7
      "````ts", // 8
      "const a = '```';", // 9
      "```", // 10
      "````", // 11
    ].join("\n");
    expect(extractSamples("p.md", page)).toEqual([
      { page: "p.md", lang: "sh", line: 3, code: "nrp list aliases" },
      { page: "p.md", lang: "ts", line: 9, code: "const a = '```';\n```" },
    ]);
  });

  test("a ts or sh fence with more words after the language is prose", () => {
    expect(extractSamples("p.md", "```sh not-run\nnpm install x\n```\n```sh\nnrp -V\n```")).toEqual(
      [{ page: "p.md", lang: "sh", line: 5, code: "nrp -V" }],
    );
  });

  test("an unterminated fence runs to the end of the page", () => {
    expect(extractSamples("p.md", "```sh\necho hi")).toEqual([
      { page: "p.md", lang: "sh", line: 2, code: "echo hi" },
    ]);
  });
});

describe("a failing sample fails its page, naming the page and line", () => {
  /** Writes `markdown` as a page and checks and runs it like a guide: "passed" or the type errors. */
  async function attempt(markdown: string): Promise<string> {
    const dir = await modulesDirectory(); // holds the page and its modules
    try {
      await writeFile(join(dir, "p.md"), markdown);
      const samples = extractSamples("p.md", markdown);
      await writeModules(dir, samples);
      const typeErrors = typeCheck(dir, samples).get("p.md") ?? [];
      if (typeErrors.length > 0) return typeErrors.join("\n");
      await runPage("p.md", dir, dir);
      return "passed";
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("an sh command that fails", async () => {
    await expect(
      attempt(
        '# P\n\n```sh\necho ok\nNRP_INVENIO_CLIENT_SERVER_URL="$REPO_URL" nrp get record documents/missing\n```\n',
      ),
    ).rejects.toThrow(/^docs\/p\.md:4: the sh sample exited with code 4\n[\s\S]*404/);
  });

  test("a ts sample that throws", async () => {
    await expect(attempt("```ts\nthrow new Error('boom');\n```\n")).rejects.toThrow(
      /^docs\/p\.md:2: the ts sample exited with code 1\n[\s\S]*boom/,
    );
  });

  test("a ts sample with a type error", async () => {
    expect(
      await attempt("```ts\nconst n: number = 1;\nconst s: string = n;\nconsole.log(s);\n```\n"),
    ).toMatch(/^docs\/p\.md:3: Type 'number' is not assignable to type 'string'\./);
  });

  test("samples that succeed, sharing one shell, the working directory and an alias they add", async () => {
    const page = [
      "```sh",
      'nrp add alias "$REPO_URL" local --token "$REPO_TOKEN" --default > /dev/null',
      "mine=$(nrp list aliases --format json)",
      "```",
      "```sh",
      "# the previous block's variables are still there: one shell",
      'echo "$mine" | grep -q local',
      'nrp create record documents \'{"title": "x"}\' --no-files --set r 2> /dev/null > /dev/null',
      "nrp get variable r --format json > r.json",
      "```",
      "```ts",
      'import { readFileSync } from "node:fs";',
      'import { NRPInvenioClient } from "nrp-invenio-client";',
      'const { values } = JSON.parse(readFileSync("r.json", "utf8")) as { values: string[] };',
      "const client = await NRPInvenioClient.fromConfig();",
      "const record = await client.records.get(values[0]!);",
      'if (record.metadata.title !== "x") process.exit(3);',
      "await client.close();",
      "```",
    ].join("\n");
    expect(await attempt(page)).toBe("passed");
  });
});
