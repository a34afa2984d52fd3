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

/** The collections of one kind V8 reports from now on (`count()`), until `stop()`. */
function collections(kind: number): { count: () => number; stop: () => void } {
  let seen = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === kind) seen++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    count: () => seen,
    stop: () => {
      observer.disconnect();
    },
  };
}

/** A pause long enough for the collections just run to be reported. */
function reported(): Promise<void> {
  return new Promise((r) => setTimeout(r, 20));
}

describe("collectEvery", () => {
  it("runs a young-generation collection each time 2 MiB more were moved", async () => {
    const minor = collections(constants.NODE_PERFORMANCE_GC_MINOR);
    try {
      const collect = collectEvery();
      collect(2 * 1024 * 1024 - 1);
      await reported();
      const before = minor.count();
      // The first chunk reaches 2 MiB, the next four 2 MiB more, the last three do not.
      for (let i = 0; i < 8; i++) collect(512 * 1024);
      await reported();
      expect(minor.count() - before).toBeGreaterThanOrEqual(2);
    } finally {
      minor.stop();
    }
  });

  it("runs a full collection instead once a GiB was moved", async () => {
    const major = collections(constants.NODE_PERFORMANCE_GC_MAJOR);
    try {
      const collect = collectEvery();
      for (let i = 0; i < 511; i++) collect(2 * 1024 * 1024);
      await reported();
      const before = major.count();
      collect(2 * 1024 * 1024);
      await reported();
      expect(major.count() - before).toBeGreaterThanOrEqual(1);
    } finally {
      major.stop();
    }
  });
});
