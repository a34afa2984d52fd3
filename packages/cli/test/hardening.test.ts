import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { jsonOf, useDevserverCli } from "./helpers.js";

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

describe("the CLI under races and odd input, against the devserver", () => {
  const cli = useDevserverCli({ cwdInWork: true });
  const { nrp } = cli;
  async function draft(name: string): Promise<void> {
    jsonOf(
      await nrp(["create", "record", "documents", JSON.stringify({ title: name }), "--set", name]),
    );
  }
  async function localFile(name: string, size: number): Promise<Buffer> {
    const data = randomBytes(size);
    await writeFile(join(cli.work, name), data);
    return data;
  }

  it("two downloads of the same file into one directory: one writes it whole, the other says so (exit 5)", async () => {
    await draft("race");
    const data = await localFile("race.bin", 3_000_000);
    jsonOf(await nrp(["upload", "file", "@race", join(cli.work, "race.bin")]));
    const out = join(cli.work, "out-race") + "/";
    // Slow answers keep both downloads writing the partial file at the same time.
    const fault = cli.server.faults.add({
      method: "GET",
      path: "/api/**/files/race.bin/content",
      delayMs: 200,
      times: 2,
    });
    const argv = ["download", "file", "@race", "race.bin", "-o", out, "--force"];
    const results = await Promise.all([nrp(argv), nrp(argv)]);
    cli.server.faults.remove(fault);
    for (const r of results) {
      expect(r.code, r.stderr).not.toBe(1);
      expect(r.stderr).not.toMatch(/bug in nrp|\n\s+at /);
    }
    // One wins; the other says clearly that another download of the file is running.
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 5]);
    const loser = results.find((r) => r.code === 5);
    expect(loser?.stderr).toMatch(
      /failed {2}race\.bin: Another download of race\.bin into .* is running/,
    );
    expect(sha256(await readFile(join(out, "race.bin")))).toBe(sha256(data));
    expect((await readdir(out)).sort()).toEqual(["race.bin"]);
  });

  it("a lock left by a process that is gone does not stop a download", async () => {
    await draft("stale");
    const data = await localFile("stale.bin", 10_000);
    jsonOf(await nrp(["upload", "file", "@stale", join(cli.work, "stale.bin")]));
    const out = join(cli.work, "out-stale");
    await mkdir(out);
    // The id of a process that has exited.
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(join(out, ".stale.bin.nrp-part.lock"), `${String(gone)} ${hostname()}\n`);
    const r = await nrp(["download", "file", "@stale", "stale.bin", "-o", out + "/"]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(await readFile(join(out, "stale.bin")))).toBe(sha256(data));
    expect((await readdir(out)).sort()).toEqual(["stale.bin"]);
  });
});
