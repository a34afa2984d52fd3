// The extraction rules the guides rely on: which fences run and which line a failure names.
import { describe, expect, test } from "vitest";
import { extractSamples } from "./samples.js";

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
