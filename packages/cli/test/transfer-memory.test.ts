import { constants, PerformanceObserver } from "node:perf_hooks";

import { describe, expect, it } from "vitest";

import { COMMANDS } from "../src/commands/index.js";
import { collectEvery } from "../src/transfer-memory.js";

describe("young generation kept small", () => {
  it("only the commands that move file content keep it small; every other gets V8's default", () => {
    const moving = COMMANDS.filter((c) => c.movesContent === true)
      .map((c) => `${c.verb} ${c.noun}`)
      .sort();
    expect(moving).toEqual(["download file", "replace file", "upload file"]);
  });
});

describe("collectEvery", () => {
  it("runs a young-generation collection each time 2 MiB more were moved", async () => {
    const minor: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    try {
      const collect = collectEvery();
      collect(2 * 1024 * 1024 - 1);
      await new Promise((r) => setTimeout(r, 20));
      const before = minor.length;
      // The first chunk reaches 2 MiB, the next four 2 MiB more, the last three do not.
      for (let i = 0; i < 8; i++) collect(512 * 1024);
      await new Promise((r) => setTimeout(r, 20));
      expect(minor.length - before).toBeGreaterThanOrEqual(2);
    } finally {
      observer.disconnect();
    }
  });
});
