import { describe, expect, it } from "vitest";

import { COMMANDS } from "../src/commands/index.js";

describe("young generation kept small", () => {
  it("only the commands that move file content keep it small; every other gets V8's default", () => {
    const moving = COMMANDS.filter((c) => c.movesContent === true)
      .map((c) => `${c.verb} ${c.noun}`)
      .sort();
    expect(moving).toEqual(["download file", "replace file", "upload file"]);
  });
});
