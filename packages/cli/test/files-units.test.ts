import { chmod, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { globToRegExp, selectKeys } from "../src/file-select.js";
import { unsafeKeyReason } from "nrp-invenio-client";
import { planDownload, safeJoin } from "../src/output-path.js";
import { writePrivateFile } from "../src/private-file.js";
import { Progress, progressLine } from "../src/progress.js";
import { formatDuration, formatSize, parseSize } from "../src/sizes.js";
import { UploadJournal, fileIdentity, journalPath } from "../src/upload-journal.js";

describe("parseSize", () => {
  it.each([
    ["0", 0],
    ["1048576", 1048576],
    ["12B", 12],
    ["64M", 64 * 2 ** 20],
    ["64m", 64 * 2 ** 20],
    ["64MiB", 64 * 2 ** 20],
    ["64Mi", 64 * 2 ** 20],
    ["64MB", 64_000_000],
    ["1G", 2 ** 30],
    ["1.5GiB", 1.5 * 2 ** 30],
    ["1.5G", 1.5 * 2 ** 30],
    ["512k", 512 * 1024],
    ["500KB", 500_000],
    ["2T", 2 * 2 ** 40],
    [" 8 MiB ", 8 * 2 ** 20],
    [".5K", 512],
    ["0.3K", 307],
  ])("%s = %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "M", "-1M", "1X", "1.2.3", "1iB", "ten", "1 G B", "1e3"])(
    "%j is refused",
    (text) => {
      expect(() => parseSize(text, "--part-size")).toThrow(/--part-size/);
    },
  );

  it("refuses sizes beyond safe integers", () => {
    expect(() => parseSize("99999999T")).toThrow(/too large/);
  });
});

describe("formatSize and formatDuration", () => {
  it.each([
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.00 KiB"],
    [1536, "1.50 KiB"],
    [10 * 1024 * 1024, "10.0 MiB"],
    [200 * 1024 * 1024, "200 MiB"],
    [2 ** 30, "1.00 GiB"],
    [-1, "?"],
  ])("%d bytes = %s", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it.each([
    [0, "0s"],
    [59.4, "59s"],
    [65, "1m05s"],
    [3600 * 2 + 240, "2h04m"],
    [Infinity, "--"],
    [-3, "--"],
  ])("%d s = %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe("selectKeys", () => {
  const keys = ["a.txt", "b.csv", "dir/c.txt", "weird*name", "notes.txt"];

  it.each([
    [["*"], keys],
    [["b.csv"], ["b.csv"]],
    [["*.txt"], ["a.txt", "notes.txt"]],
    [["**.txt"], ["a.txt", "dir/c.txt", "notes.txt"]],
    [["dir/*"], ["dir/c.txt"]],
    [["?.txt"], ["a.txt"]],
    [["[ab].*"], ["a.txt", "b.csv"]],
    [["[!a]*.txt"], ["notes.txt"]],
    [["weird*name"], ["weird*name"]],
    [
      ["notes.txt", "a.txt", "a.txt"],
      ["a.txt", "notes.txt"],
    ],
  ])("%j selects %j", (args, expected) => {
    expect(selectKeys(args, keys)).toEqual(expected);
  });

  it("names what is missing and lists what exists", () => {
    expect(() => selectKeys(["nope.txt", "a.txt"], keys)).toThrow('No file matches "nope.txt".');
    expect(() => selectKeys(["*.pdf"], keys)).toThrow(/No file matches/);
    try {
      selectKeys(["x", "y"], []);
    } catch (err) {
      expect((err as { hint: string }).hint).toBe("The record has no files.");
      expect((err as { exitCode: number }).exitCode).toBe(4);
    }
  });

  it("escapes regular expression characters", () => {
    expect(globToRegExp("a.b(c)+*").test("a.b(c)+zz")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });
});

describe("output paths", () => {
  it.each([
    ["../x", "..", true],
    ["a/../../x", "..", true],
    ["/etc/passwd", "absolute", true],
    ["C:\\x", "backslash", true],
    ["C:x", "drive letter", true],
    ["a\\..\\x", "backslash", true],
    ["", "empty", true],
    ["a\u0000b", "control character", true],
    ["a\nb", "control character", true],
    ["a\u001b[31mb", "control character", true],
    ["a//b", "empty path segment", true],
    ["./a", '"."', true],
    ["..", '".."', true],
    ["a.txt", undefined, false],
    ["dir/sub/a.txt", undefined, false],
    ["..a", undefined, false],
    ["a..", undefined, false],
  ])("key %j", (key, reason, unsafe) => {
    const got = unsafeKeyReason(key);
    if (!unsafe) {
      expect(got).toBeUndefined();
      expect(safeJoin("/out", key, unsafeKeyReason)).toBe(join("/out", key));
    } else {
      expect(got).toContain(reason);
      expect(() => safeJoin("/out", key, unsafeKeyReason)).toThrow(/Refusing to write/);
    }
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nrp-out-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("plans stdout, directories and single files", async () => {
    expect(await planDownload(["a"], "-", { cwd: dir, several: false })).toEqual({
      kind: "stdout",
      key: "a",
    });
    await expect(planDownload(["a", "b"], "-", { cwd: dir, several: true })).rejects.toThrow(
      /one file to standard output/,
    );
    await expect(planDownload(["a"], "-", { cwd: dir, several: true })).rejects.toThrow(/one file/);
    expect(await planDownload(["a", "d/b"], undefined, { cwd: dir, several: true })).toEqual({
      kind: "files",
      dir,
      targets: [
        { key: "a", path: join(dir, "a") },
        { key: "d/b", path: join(dir, "d", "b") },
      ],
    });
    expect(await planDownload(["a"], "out.bin", { cwd: dir, several: false })).toEqual({
      kind: "files",
      dir: undefined,
      targets: [{ key: "a", path: join(dir, "out.bin") }],
    });
    expect(await planDownload(["a"], ".", { cwd: dir, several: false })).toMatchObject({
      dir,
      targets: [{ key: "a", path: join(dir, "a") }],
    });
    expect(await planDownload(["a"], "new/", { cwd: dir, several: false })).toMatchObject({
      targets: [{ key: "a", path: join(dir, "new", "a") }],
    });
    expect(await planDownload(["a"], "many", { cwd: dir, several: true })).toMatchObject({
      targets: [{ key: "a", path: join(dir, "many", "a") }],
    });
    await expect(planDownload(["ok", "../evil"], "x", { cwd: dir, several: true })).rejects.toThrow(
      /Refusing to write the file "..\/evil"/,
    );
  });
});

describe("upload journal", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nrp-journal-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is named by a hash of record and key, written 0600, and removed", async () => {
    const data = join(dir, "data.bin");
    await writeFile(data, "hello");
    const identity = await fileIdentity(data);
    const url = "https://repo.example/api/datasets/abc/draft";
    const path = journalPath(dir, url, "data.bin");
    expect(path).toMatch(/uploads\/[0-9a-f]{64}\.json$/);
    expect(journalPath(dir, url + "/a", "b.txt")).not.toBe(journalPath(dir, url + "/ab", ".txt"));

    const journal = await UploadJournal.create(dir, {
      record: url,
      key: "data.bin",
      file: identity,
      transfer: "M",
      partSize: 2,
      parts: 3,
    });
    expect(journal.path).toBe(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "uploads"))).mode & 0o777).toBe(0o700);

    // Parts finishing together are coalesced and written in order.
    journal.addPart(3);
    journal.addPart(1);
    journal.addPart(3);
    await journal.flush();
    const stored = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    expect(stored).toMatchObject({
      version: 1,
      record: url,
      key: "data.bin",
      file: identity,
      transfer: "M",
      partSize: 2,
      parts: 3,
      completedParts: [1, 3],
    });
    expect(await readdir(join(dir, "uploads"))).toEqual([path.split("/").pop()]);

    const again = await UploadJournal.load(dir, url, "data.bin");
    expect(again?.completedParts).toEqual([1, 3]);
    expect(again?.matches(identity)).toBe(true);
    expect(again?.matches({ ...identity, size: 6 })).toBe(false);
    await utimes(data, new Date(), new Date(Date.now() + 5000));
    expect(again?.matches(await fileIdentity(data))).toBe(false);
    expect(await UploadJournal.load(dir, url, "other")).toBeUndefined();

    await again?.remove();
    expect(await UploadJournal.load(dir, url, "data.bin")).toBeUndefined();
    expect(await readdir(join(dir, "uploads"))).toEqual([]);
  });

  it("ignores a corrupt or foreign journal", async () => {
    const url = "https://repo.example/api/datasets/xyz/draft";
    const path = journalPath(dir, url, "k");
    await UploadJournal.create(dir, {
      record: url,
      key: "k",
      file: { path: "/x", size: 1, mtimeMs: 1 },
      transfer: "L",
      partSize: 1,
      parts: 1,
    });
    await writeFile(path, "{ not json");
    expect(await UploadJournal.load(dir, url, "k")).toBeUndefined();
    await writeFile(path, JSON.stringify({ version: 99 }));
    expect(await UploadJournal.load(dir, url, "k")).toBeUndefined();
  });
});

describe("progress", () => {
  it("renders label, bar, percentage, bytes, rate and ETA", () => {
    const line = progressLine(
      {
        label: "data.bin",
        value: 50 * 2 ** 20,
        total: 100 * 2 ** 20,
        startValue: 0,
        elapsedMs: 5000,
      },
      100,
    );
    expect(line).toMatch(
      /^data\.bin\s+\[=+-+\] {2}50% \| 50\.0 MiB\/100 MiB \| 10\.0 MiB\/s \| ETA 5s$/,
    );
    expect(line.length).toBeLessThanOrEqual(100);
  });

  it("counts only new bytes in the rate of a resumed transfer", () => {
    const line = progressLine(
      { label: "x", value: 90, total: 100, startValue: 80, elapsedMs: 10_000 },
      80,
    );
    expect(line).toContain("| 1 B/s | ETA 10s");
  });

  it("shows bytes and rate when the size is unknown, and shortens long labels", () => {
    const line = progressLine(
      { label: "a".repeat(40), value: 2048, total: undefined, startValue: 0, elapsedMs: 1000 },
      80,
    );
    expect(line).toBe(`…${"a".repeat(23)} 2.00 KiB | 2.00 KiB/s`);
  });

  it("draws on a terminal and stays silent otherwise", () => {
    let tty = "";
    const display = new Progress(
      { write: (s: string) => (tty += s), isTTY: true, columns: 100 },
      { enabled: true },
    );
    const bar = display.bar("file.bin", 1000);
    bar.update(500);
    display.log("a message");
    bar.update(1000);
    bar.done();
    display.stop();
    expect(tty).toContain("file.bin");
    expect(tty).toMatch(/\[=+-*\]/);
    expect(tty).toContain("a message\n");

    let pipe = "";
    const quiet = new Progress(
      { write: (s: string) => (pipe += s), isTTY: false },
      { enabled: true },
    );
    const b = quiet.bar("file.bin", 1000);
    b.update(1000);
    quiet.log("plain");
    b.done();
    quiet.stop();
    expect(pipe).toBe("plain\n");
  });
});

describe("writePrivateFile", () => {
  it("replaces a file atomically with mode 0600 in a new 0700 directory, leaving no temporary", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-private-"));
    try {
      const path = join(dir, "state", "vars.yaml");
      await writePrivateFile(path, "a: 1\n");
      expect((await stat(join(dir, "state"))).mode & 0o777).toBe(0o700);
      await chmod(path, 0o644);
      await writePrivateFile(path, "a: 2\n");
      expect(await readFile(path, "utf8")).toBe("a: 2\n");
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(dir, "state"))).toEqual(["vars.yaml"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
