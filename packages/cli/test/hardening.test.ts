import { createHash, randomBytes } from "node:crypto";
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { beforeAll, describe, expect, it } from "vitest";

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
    // The first download's content request is held, so it stays on its partial file (and lock)
    // while the second one runs; it goes on once the second has finished.
    const fault = cli.server.faults.add({
      method: "GET",
      path: "/api/**/files/race.bin/content",
      hold: true,
      times: 1,
    });
    const argv = ["download", "file", "@race", "race.bin", "-o", out, "--force"];
    const first = nrp(argv);
    await expect
      .poll(() => cli.server.faults.held(fault), {
        message: "the first download's content request to arrive",
        interval: 10,
        timeout: 10_000,
      })
      .toBe(1);
    const second = await nrp(argv);
    cli.server.faults.release(fault);
    const results = [await first, second];
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

describe("an upload whose commit fails", () => {
  const cli = useDevserverCli({ cwdInWork: true });
  const { nrp } = cli;
  type Fault = Parameters<typeof cli.server.faults.add>[0];

  /**
   * A draft `@name` and a file `name.bin` of `size` random bytes, uploaded in 4 KiB parts without
   * retries while `fault` hits the file's commit. Resolves to the command, its first result, and
   * `check`, which downloads the file back and compares it with the bytes (after the re-run).
   */
  async function commitFaulted(name: string, size: number, fault: Omit<Fault, "method" | "path">) {
    jsonOf(
      await nrp(["create", "record", "documents", JSON.stringify({ title: name }), "--set", name]),
    );
    const data = randomBytes(size);
    const path = join(cli.work, `${name}.bin`);
    await writeFile(path, data);
    const rule = cli.server.faults.add({
      method: "POST",
      path: `/api/**/files/${name}.bin/commit`,
      ...fault,
    });
    const argv = ["upload", "file", `@${name}`, path, "--transfer", "M", "--part-size", "4K"];
    const first = await nrp(argv, { env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" } });
    cli.server.faults.remove(rule);
    const check = async () => {
      const out = join(cli.work, `out-${name}`) + "/";
      expect((await nrp(["download", "file", `@${name}`, `${name}.bin`, "-o", out])).code).toBe(0);
      expect(sha256(await readFile(join(out, `${name}.bin`)))).toBe(sha256(data));
    };
    return { argv, first, check };
  }

  it("keeps the journal once every part is on the server, and the re-run commits", async () => {
    const { argv, first, check } = await commitFaulted("cf", 5 * 4096 + 10, {
      status: 500,
      times: 20,
    });
    expect(first.code, first.stderr).toBe(6);
    expect(first.stderr).toContain(
      "All 6 parts of cf.bin are on the server, but the commit failed",
    );
    expect(first.stderr).toContain("Run the same command again to commit it");
    const uploads = join(cli.home.home, ".nrp", "uploads");
    const [journalFile] = await readdir(uploads);
    const journal = JSON.parse(await readFile(join(uploads, journalFile ?? ""), "utf8")) as {
      completedParts: number[];
    };
    expect(journal.completedParts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);

    const before = cli.server.requestLog.length;
    const second = await nrp(argv);
    const file = jsonOf(second);
    expect(file["status"]).toBe("completed");
    expect(second.stderr).toContain("Resuming cf.bin: 6 of 6 parts");
    const again = cli.server.requestLog.slice(before);
    // Nothing was sent again; only the commit.
    expect(again.filter((e) => e.method === "PUT")).toEqual([]);
    expect(
      again.filter((e) => e.method === "POST" && e.path.endsWith("/files/cf.bin/commit")),
    ).toHaveLength(1);
    expect(await readdir(uploads)).toEqual([]);
    await check();
  });

  it("a commit done on the server whose answer is lost: the re-run finds it committed and verifies it", async () => {
    // The commit is handled, then the connection breaks after a few bytes of its answer.
    const { argv, first, check } = await commitFaulted("cl", 3 * 4096 + 1, {
      dropAfterBytes: 5,
      times: 1,
    });
    expect(first.code, first.stderr).toBe(6);
    expect(first.stderr).toContain("Run the same command again to commit it");

    const before = cli.server.requestLog.length;
    const second = await nrp(argv);
    const file = jsonOf(second);
    expect(file["status"]).toBe("completed");
    expect(cli.server.requestLog.slice(before).filter((e) => e.method === "PUT")).toEqual([]);
    expect(await readdir(join(cli.home.home, ".nrp", "uploads"))).toEqual([]);
    await check();
  });
});

describe("download of keys that clash on disk", () => {
  const cli = useDevserverCli({ cwdInWork: true });
  const { nrp } = cli;

  it("keys a and a/b: the one that cannot be written fails alone, the others are downloaded", async () => {
    jsonOf(
      await nrp([
        "create",
        "record",
        "documents",
        JSON.stringify({ title: "clash" }),
        "--set",
        "c",
      ]),
    );
    const contents = new Map<string, Buffer>();
    for (const [key, size] of [
      ["a", 100],
      ["a/b", 200],
      ["z.bin", 300],
    ] as const) {
      const data = randomBytes(size);
      contents.set(key, data);
      const local = join(cli.work, key.replace("/", "_"));
      await writeFile(local, data);
      jsonOf(await nrp(["upload", "file", "@c", local, "--key", key]));
    }
    const out = join(cli.work, "out-clash") + "/";
    const r = await nrp(["download", "file", "@c", "**", "-o", out]);
    expect(r.stderr).not.toMatch(/bug in nrp|\n\s+at /);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(
      /failed {2}a\/b: Cannot write a\/b to .*: a file is in the way of a directory it needs\./,
    );
    expect(r.stderr).toContain("1 of 3 files were not downloaded.");
    expect(sha256(await readFile(join(out, "a")))).toBe(
      sha256(contents.get("a") ?? Buffer.alloc(0)),
    );
    expect(sha256(await readFile(join(out, "z.bin")))).toBe(
      sha256(contents.get("z.bin") ?? Buffer.alloc(0)),
    );

    // The other way round: a/b first, then a finds a directory in its place.
    const other = join(cli.work, "out-clash2") + "/";
    expect((await nrp(["download", "file", "@c", "a/b", "-o", other])).code).toBe(0);
    const again = await nrp(["download", "file", "@c", "a", "-o", other, "--force"]);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stderr).toMatch(/Cannot write a to .*: a directory of that name is in the way\./);
    expect(again.stderr).not.toMatch(/bug in nrp|\n\s+at /);
  });
});

describe("a single-request upload killed mid-body", () => {
  const cli = useDevserverCli({ cwdInWork: true });
  const { nrp } = cli;
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

  beforeAll(async () => {
    // The kill must hit a real process: build (a no-op when up to date) the binary it runs.
    await promisify(execFile)("npx", ["tsc", "-b", "packages/cli"], { cwd: root });
  }, 180_000);

  it("kill -9 leaves a pending file; the same command run again sends it whole (exit 0, same md5)", async () => {
    jsonOf(
      await nrp(["create", "record", "documents", JSON.stringify({ title: "k" }), "--set", "k"]),
    );
    const data = randomBytes(3_000_000);
    const path = join(cli.work, "kill.bin");
    await writeFile(path, data);
    // The server holds the content request unanswered, so the client is still sending the body
    // when it is killed.
    const fault = cli.server.faults.add({
      method: "PUT",
      path: "/api/**/files/kill.bin/content",
      hold: true,
      times: 5,
    });
    const argv = ["upload", "file", "@k", path, "--transfer", "L"];
    const child = spawn(process.execPath, [bin, "--config", cli.home.config, ...argv], {
      cwd: cli.work,
      env: { ...process.env, ...cli.home.env, NO_COLOR: "1" },
      stdio: "ignore",
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.once("exit", (_code, signal) => {
        resolve(signal);
      });
    });
    await expect
      .poll(() => cli.server.faults.held(fault), {
        message: "the content request to arrive",
        interval: 10,
        timeout: 10_000,
      })
      .toBe(1);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    cli.server.faults.remove(fault);

    const listed = jsonOf(await nrp(["list", "files", "@k"]));
    expect(JSON.stringify(listed)).toContain('"pending"');

    const again = await nrp(argv);
    const file = jsonOf(again);
    expect(file["status"]).toBe("completed");
    expect(file["size"]).toBe(data.length);
    expect(again.stderr).toContain("Sending kill.bin again: an interrupted upload left it pending");
    expect(await readdir(join(cli.home.home, ".nrp", "uploads"))).toEqual([]);
    const out = join(cli.work, "out-kill") + "/";
    expect((await nrp(["download", "file", "@k", "kill.bin", "-o", out])).code).toBe(0);
    const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");
    expect(md5(await readFile(join(out, "kill.bin")))).toBe(md5(data));
  });
});
