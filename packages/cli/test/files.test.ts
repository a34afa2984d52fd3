import { createHash, randomBytes } from "node:crypto";
import {
  chmod,
  mkdir,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

import { describe, expect, it } from "vitest";

import { jsonOf, useDevserverCli } from "./helpers.js";
import type { RunResult } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path));
}

describe("file commands against the devserver", () => {
  const cli = useDevserverCli({ cwdInWork: true });
  const { nrp } = cli;
  const json = jsonOf;
  async function draft(name: string): Promise<Json> {
    return json(
      await nrp(["create", "record", "documents", JSON.stringify({ title: name }), "--set", name]),
    );
  }
  async function localFile(name: string, size: number): Promise<string> {
    const path = join(cli.work, name);
    await writeFile(path, randomBytes(size));
    return path;
  }
  function uploadsDir(): string {
    return join(cli.home.home, ".nrp", "uploads");
  }
  async function journals(): Promise<string[]> {
    try {
      return await readdir(uploadsDir());
    } catch {
      return [];
    }
  }
  function partPuts(key: string): number[] {
    return cli.server.requestLog
      .filter((e) => e.method === "PUT" && e.path.includes(`/files/${key}/content/`))
      .filter((e) => e.status === 200)
      .map((e) => Number(e.path.split("/").pop()));
  }
  /**
   * Runs `argv` with the first `method` request to a path ending in `suffix` held back 10 s, and
   * interrupts the command (as Ctrl-C does) once that request has reached the server.
   */
  async function interruptedAt(argv: string[], method: string, suffix: string): Promise<RunResult> {
    const fault = cli.server.faults.add({
      method,
      path: `/api/**${suffix}`,
      delayMs: 10_000,
      times: 1,
    });
    const controller = new AbortController();
    const pending = nrp(argv, { signal: controller.signal });
    await expect
      .poll(
        () => cli.server.requestLog.some((e) => e.method === method && e.path.endsWith(suffix)),
        { message: `${method} ${suffix} to be on its way`, interval: 10, timeout: 10_000 },
      )
      .toBe(true);
    controller.abort();
    const result = await pending;
    cli.server.faults.remove(fault);
    return result;
  }

  /** Downloads `key` of the draft `@name` with the CLI and checks it has the bytes of `source`. */
  async function expectDownloadedAs(name: string, key: string, source: string): Promise<void> {
    const out = join(cli.work, `out-${name}`);
    const down = await nrp(["download", "file", `@${name}`, key, "-o", `${out}/`]);
    expect(down.code, down.stderr).toBe(0);
    expect(await sha256File(join(out, key))).toBe(await sha256File(source));
  }
  /**
   * Runs `argv` one part at a time and without retries while the first PUT to a path ending in
   * `suffix` is cut after 1,000 bytes of its body: the upload stops at that part.
   */
  async function cutAtPart(argv: string[], suffix: string): Promise<RunResult> {
    const fault = cli.server.faults.add({
      method: "PUT",
      path: `/api/**${suffix}`,
      dropAfterRequestBytes: 1000,
      times: 1,
    });
    const result = await nrp([...argv, "--concurrency", "1"], {
      env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" },
    });
    cli.server.faults.remove(fault);
    return result;
  }

  it("upload, list, download (file, dir, stdout), update, replace and delete", async () => {
    const d = await draft("basic");
    const path = await localFile("hello.bin", 5000);
    const up = await nrp(["upload", "file", "@basic", path, '{"description": "greeting"}']);
    const file = json(up);
    expect(file).toMatchObject({ key: "hello.bin", status: "completed", size: 5000 });
    expect(file["metadata"]).toEqual({ description: "greeting" });
    expect(file["checksum"]).toBe(
      `md5:${createHash("md5")
        .update(await readFile(path))
        .digest("hex")}`,
    );
    expect(up.stderr).toContain(`Uploaded hello.bin (4.88 KiB) to draft/documents/${d["id"]}`);
    expect(await journals()).toEqual([]);

    // Noun-verb form, and a second file from standard input.
    const text = Buffer.from("a,b\n1,2\n");
    const stdinUp = await nrp(["file", "upload", "@basic", "-", "--key", "table.csv"], {
      stdin: Readable.from([text]),
    });
    expect(json(stdinUp)).toMatchObject({ key: "table.csv", size: text.length });

    const table = await nrp(["files", "ls", "@basic", "--format", "table"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/hello\.bin\s+│ 4\.88 KiB │ completed │ md5:[0-9a-f]{32} │/);
    expect(table.stdout).toContain("text/csv");
    const listed = json(await nrp(["list", "files", "@basic"]));
    expect(listed.map((f: Json) => String(f["key"]))).toEqual(["hello.bin", "table.csv"]);

    // To a named file, into a directory, and to standard output.
    const out = join(cli.work, "out-basic");
    const named = await nrp([
      "download",
      "file",
      "@basic",
      "hello.bin",
      "-o",
      join(out, "copy.bin"),
    ]);
    expect(named.code, named.stderr).toBe(0);
    expect(await sha256File(join(out, "copy.bin"))).toBe(await sha256File(path));
    expect(named.stderr).toMatch(
      /ok {6}hello\.bin -> .*copy\.bin \(4\.88 KiB, md5:[0-9a-f]+ verified\)/,
    );

    // Already there with the same content: skipped, so a re-run of many files finishes them.
    const same = await nrp([
      "download",
      "file",
      "@basic",
      "hello.bin",
      "-o",
      join(out, "copy.bin"),
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain("skipped hello.bin: already downloaded (same size and md5)");
    // Same size, other bytes: kept, and the command says why.
    const damaged = Buffer.from(await readFile(join(out, "copy.bin")));
    damaged[100] = (damaged[100] ?? 0) ^ 0xff;
    await writeFile(join(out, "copy.bin"), damaged);
    const again = await nrp([
      "download",
      "file",
      "@basic",
      "hello.bin",
      "-o",
      join(out, "copy.bin"),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists with other content");
    expect(again.stderr).toContain("--force");
    expect((await readFile(join(out, "copy.bin"))).equals(damaged)).toBe(true);
    const forced = await nrp([
      "download",
      "file",
      "@basic",
      "hello.bin",
      "-o",
      join(out, "copy.bin"),
      "--force",
    ]);
    expect(forced.code, forced.stderr).toBe(0);

    const stdout = await nrp(["download", "file", "@basic", "table.csv", "-o", "-"]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.bytes.equals(text)).toBe(true);
    expect(stdout.stdout).toBe("");

    // Without -o: the working directory.
    const cwdDownload = await nrp(["download", "file", "@basic", "table.csv"]);
    expect(cwdDownload.code, cwdDownload.stderr).toBe(0);
    expect((await readFile(join(cli.work, "table.csv"))).equals(text)).toBe(true);

    // Metadata.
    const updated = json(
      await nrp(["update", "file", "@basic", "hello.bin", '{"description": "new", "lang": "en"}']),
    );
    expect(updated["metadata"]).toEqual({ description: "new", lang: "en" });

    // Replace keeps key and metadata, changes the content.
    const v2 = await localFile("hello-v2.bin", 7000);
    const replaced = json(await nrp(["replace", "file", "@basic", "hello.bin", v2]));
    expect(replaced).toMatchObject({ key: "hello.bin", size: 7000, status: "completed" });
    expect(replaced["metadata"]).toEqual({ description: "new", lang: "en" });
    const back = await nrp(["download", "file", "@basic", "hello.bin", "-o", join(out, "v2.bin")]);
    expect(back.code, back.stderr).toBe(0);
    expect(await sha256File(join(out, "v2.bin"))).toBe(await sha256File(v2));
    // Standard input cannot replace: the old content would be gone if the upload failed.
    const fromStdin = await nrp(["replace", "file", "@basic", "hello.bin", "-"]);
    expect(fromStdin.code).toBe(2);
    expect(fromStdin.stderr).toContain("replace file needs a local file, not standard input");
    expect(fromStdin.stderr).not.toMatch(/\n\s+at /);
    const still = await nrp([
      "download",
      "file",
      "@basic",
      "hello.bin",
      "-o",
      join(out, "v2b.bin"),
    ]);
    expect(await sha256File(join(out, "v2b.bin"))).toBe(await sha256File(v2));
    expect(still.code).toBe(0);

    // Delete: refused without --yes off a terminal, then done.
    const refused = await nrp(["delete", "file", "@basic", "table.csv"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    const asked = await nrp(["files", "rm", "@basic", "table.csv"], { answers: ["n"] });
    expect(asked.code).toBe(2);
    const deleted = json(await nrp(["delete", "file", "@basic", "table.csv", "--yes"]));
    expect(deleted).toEqual({ key: "table.csv", deleted: true });
    const left = json(await nrp(["list", "files", "@basic"]));
    expect(left.map((f: Json) => String(f["key"]))).toEqual(["hello.bin"]);
    const missing = await nrp(["download", "file", "@basic", "table.csv", "-o", out]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('No file matches "table.csv"');
    expect(missing.stderr).toContain("Files: hello.bin.");
  });

  it("multipart upload and download with a small part size, byte-identical", async () => {
    await draft("multi");
    const path = await localFile("multi.bin", 100 * 1024 + 17);
    const up = await nrp([
      "upload",
      "file",
      "@multi",
      path,
      "--transfer",
      "M",
      "--part-size",
      "16K",
      "--concurrency",
      "3",
    ]);
    const file = json(up);
    expect(file).toMatchObject({ key: "multi.bin", status: "completed", size: 100 * 1024 + 17 });
    expect(file["transfer"]["type"]).toBe("L");
    expect(partPuts("multi.bin").sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await journals()).toEqual([]);

    await expectDownloadedAs("multi", "multi.bin", path);
  });

  it("an upload cut after some parts continues from the journal, without resending parts", async () => {
    const d = await draft("resume");
    const path = await localFile("resume.bin", 8 * 4096 + 100);
    // Part 4 is cut mid-body; without retries the upload stops there.
    const argv = ["upload", "file", "@resume", path, "--transfer", "M", "--part-size", "4K"];
    const first = await cutAtPart(argv, "/files/resume.bin/content/4");
    expect(first.code, first.stderr).toBe(6);
    expect(first.stderr).toContain("stopped with 3 of 9 parts on the server");
    expect(first.stderr).toContain("Run the same command again to continue");
    const [journalFile] = await journals();
    expect(journalFile).toMatch(/^[0-9a-f]{64}\.json$/);
    const journalPath = join(uploadsDir(), journalFile ?? "");
    expect((await stat(journalPath)).mode & 0o777).toBe(0o600);
    const journal = JSON.parse(await readFile(journalPath, "utf8")) as Json;
    expect(journal).toMatchObject({
      version: 1,
      record: d["links"]["self"],
      key: "resume.bin",
      transfer: "M",
      partSize: 4096,
      parts: 9,
      completedParts: [1, 2, 3],
    });
    expect(journal["file"]).toMatchObject({ path, size: 8 * 4096 + 100 });
    expect(partPuts("resume.bin")).toEqual([1, 2, 3]);

    const second = await nrp(argv);
    const file = json(second);
    expect(second.stderr).toContain(
      "Resuming resume.bin: 3 of 9 parts (12.0 KiB) are already on the server.",
    );
    expect(second.stderr).toContain("Finished uploading resume.bin");
    // Parts 1-3 went up once, in the first run only.
    const puts = partPuts("resume.bin");
    expect(puts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(puts.slice(3).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(file["status"]).toBe("completed");
    expect(await journals()).toEqual([]);

    await expectDownloadedAs("resume", "resume.bin", path);
  });

  it("a file changed since the interrupted upload is sent again whole, never mixed", async () => {
    await draft("changed");
    const path = await localFile("changed.bin", 6 * 4096 + 5);
    const fault = cli.server.faults.add({
      method: "PUT",
      path: "/api/**/files/changed.bin/content/3",
      status: 400,
      times: 1,
    });
    const argv = ["upload", "file", "@changed", path, "--transfer", "M", "--part-size", "4K"];
    const first = await nrp([...argv, "--concurrency", "1"]);
    cli.server.faults.remove(fault);
    expect(first.code).toBe(5);
    expect(first.stderr).toContain("stopped with 2 of 7 parts on the server");
    expect(await journals()).toHaveLength(1);

    // Same size, other bytes, a later modification time.
    const fresh = randomBytes(6 * 4096 + 5);
    await writeFile(path, fresh);
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const before = partPuts("changed.bin").length;
    const second = await nrp(argv);
    const file = json(second);
    expect(second.stderr).toContain("Starting changed.bin over");
    expect(second.stderr).toContain("changed since the interrupted upload");
    expect(second.stderr).not.toContain("Resuming");
    // The stale pending file was deleted before the fresh upload.
    expect(
      cli.server.requestLog.filter(
        (e) => e.method === "DELETE" && e.path.endsWith("/files/changed.bin"),
      ),
    ).toHaveLength(1);
    expect(
      partPuts("changed.bin")
        .slice(before)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(file["checksum"]).toBe(`md5:${createHash("md5").update(fresh).digest("hex")}`);
    expect(await journals()).toEqual([]);
    const out = join(cli.work, "out-changed");
    const down = await nrp(["download", "file", "@changed", "changed.bin", "-o", out + "/"]);
    expect(down.code, down.stderr).toBe(0);
    expect((await readFile(join(out, "changed.bin"))).equals(fresh)).toBe(true);
  });

  it("Ctrl-C during an upload leaves a resumable state and says how to continue", async () => {
    await draft("abort");
    const path = await localFile("abort.bin", 6 * 4096);
    const argv = ["upload", "file", "@abort", path, "--transfer", "M", "--part-size", "4K"];
    // Interrupted once part 3 is on its way (parts 1 and 2 are acknowledged by then).
    const first = await interruptedAt(
      [...argv, "--concurrency", "1"],
      "PUT",
      "/abort.bin/content/3",
    );
    expect(first.code).toBe(130);
    expect(first.stderr).toContain("stopped with 2 of 6 parts on the server");
    expect(first.stderr).toContain("Interrupted.");
    expect((await journals()).length).toBe(1);

    const second = await nrp(argv);
    expect(json(second)["status"]).toBe("completed");
    expect(second.stderr).toContain("Resuming abort.bin: 2 of 6 parts");
    const done = partPuts("abort.bin");
    expect(done.filter((p) => p === 1)).toHaveLength(1);
    expect(done.filter((p) => p === 2)).toHaveLength(1);
    expect(await journals()).toEqual([]);
    await expectDownloadedAs("abort", "abort.bin", path);
  });

  it("an interrupted replace continues on the next run and keeps the metadata", async () => {
    await draft("rep");
    const v1 = await localFile("rep-v1.bin", 3000);
    json(await nrp(["upload", "file", "@rep", v1, '{"title": "kept"}', "--key", "rep.bin"]));
    const v2 = await localFile("rep-v2.bin", 5 * 2048);
    const fault = cli.server.faults.add({
      method: "PUT",
      path: "/api/**/files/rep.bin/content/3",
      status: 500,
      times: 1,
    });
    const argv = ["replace", "file", "@rep", "rep.bin", v2, "--transfer", "M", "--part-size", "2K"];
    const first = await nrp([...argv, "--concurrency", "1"], {
      env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" },
    });
    cli.server.faults.remove(fault);
    expect(first.code).toBe(6);
    expect(first.stderr).toContain("stopped with 2 of 5 parts on the server");
    const second = await nrp(argv);
    const file = json(second);
    expect(second.stderr).toContain("Resuming rep.bin: 2 of 5 parts");
    expect(file).toMatchObject({ key: "rep.bin", size: 5 * 2048, metadata: { title: "kept" } });
    expect(partPuts("rep.bin").filter((p) => p === 1)).toHaveLength(1);
    await expectDownloadedAs("rep", "rep.bin", v2);
    expect(await journals()).toEqual([]);
  });

  it("a download cut midway resumes with Range on the next run", async () => {
    await draft("dl");
    const path = await localFile("dl.bin", 200_000);
    json(await nrp(["upload", "file", "@dl", path]));
    const fault = cli.server.faults.add({
      method: "GET",
      path: "/api/**/files/dl.bin/content",
      dropAfterBytes: 70_000,
      times: 1,
    });
    const out = join(cli.work, "out-dl");
    const argv = ["download", "file", "@dl", "dl.bin", "-o", out + "/"];
    const first = await nrp(argv, { env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" } });
    cli.server.faults.remove(fault);
    expect(first.code, first.stderr).toBe(6);
    const partial = await stat(join(out, ".dl.bin.nrp-part"));
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(200_000);
    await expect(stat(join(out, "dl.bin"))).rejects.toThrow();

    const before = cli.server.requestLog.length;
    const second = await nrp(argv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("Resuming dl.bin from");
    const gets = cli.server.requestLog
      .slice(before)
      .filter((e) => e.method === "GET" && e.path.endsWith("/files/dl.bin/content"));
    expect(gets.map((g) => g.headers["range"])).toEqual([`bytes=${partial.size}-`]);
    expect(gets[0]?.status).toBe(206);
    expect(await sha256File(join(out, "dl.bin"))).toBe(await sha256File(path));
    await expect(stat(join(out, ".dl.bin.nrp-part"))).rejects.toThrow();
  });

  it("a download from a server that ignores Range starts over on the next run, saying nothing of a resume", async () => {
    await draft("dlr");
    // Printable bytes, so that a fault can serve them whole as its text body, as RDM 13 does.
    const text = Buffer.from(
      Array.from(randomBytes(200_000), (b) => String.fromCharCode(97 + (b % 26))).join(""),
    );
    const path = join(cli.work, "dlr.txt");
    await writeFile(path, text);
    json(await nrp(["upload", "file", "@dlr", path]));
    const md5 = createHash("md5").update(text).digest("hex");
    const out = join(cli.work, "out-dlr");
    const argv = ["download", "file", "@dlr", "dlr.txt", "-o", out + "/"];
    const contentPath = "/api/**/files/dlr.txt/content";

    for (const advertised of [true, false]) {
      const headers = {
        "Content-Type": "text/plain",
        ETag: `"md5:${md5}"`,
        ...(advertised ? { "Accept-Ranges": "bytes" } : {}),
      };
      const body = text.toString("latin1");
      const cut = cli.server.faults.add({
        method: "GET",
        path: contentPath,
        status: 200,
        headers,
        body,
        dropAfterBytes: 70_000,
      });
      const first = await nrp(argv, { env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" } });
      cli.server.faults.remove(cut);
      expect(first.code, first.stderr).toBe(6);
      const partial = await stat(join(out, ".dlr.txt.nrp-part"));
      expect(partial.size).toBeGreaterThan(0);

      // The whole content again, whatever Range says.
      const ignoring = cli.server.faults.add({
        method: "GET",
        path: contentPath,
        status: 200,
        headers,
        body,
        times: 5,
      });
      const before = cli.server.requestLog.length;
      const second = await nrp(argv);
      cli.server.faults.remove(ignoring);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toContain("Resuming");
      const gets = cli.server.requestLog
        .slice(before)
        .filter((e) => e.method === "GET" && e.path.endsWith("/files/dlr.txt/content"));
      // A range is asked for only where the first answer advertised ranges.
      expect(gets.map((g) => [g.headers["range"], g.status])).toEqual([
        [advertised ? `bytes=${partial.size}-` : undefined, 200],
      ]);
      expect(await sha256File(join(out, "dlr.txt"))).toBe(sha256(text));
      await expect(stat(join(out, ".dlr.txt.nrp-part"))).rejects.toThrow();
      await rm(join(out, "dlr.txt"));
    }
  });

  it("Ctrl-C during a download says how to continue", async () => {
    await draft("dlabort");
    const path = await localFile("dlabort.bin", 50_000);
    json(await nrp(["upload", "file", "@dlabort", path]));
    const out = join(cli.work, "out-dlabort");
    const argv = ["download", "file", "@dlabort", "dlabort.bin", "-o", out + "/"];
    const first = await interruptedAt(argv, "GET", "/dlabort.bin/content");
    expect(first.code).toBe(130);
    expect(first.stderr).toContain(
      "The download of dlabort.bin stopped; run the same command again",
    );
    await expect(stat(join(out, "dlabort.bin"))).rejects.toThrow();
    const second = await nrp(argv);
    expect(second.code, second.stderr).toBe(0);
    expect(await sha256File(join(out, "dlabort.bin"))).toBe(await sha256File(path));
  });

  it("a commit answered with 500 fails the upload at once with the server's error (exit 6)", async () => {
    await draft("c500");
    const path = await localFile("c500.bin", 3000);
    const fault = cli.server.faults.add({
      method: "POST",
      path: "/api/**/files/c500.bin/commit",
      status: 500,
      times: 20,
    });
    const started = Date.now();
    const up = await nrp(["upload", "file", "@c500", path]);
    cli.server.faults.remove(fault);
    expect(up.code, up.stderr).toBe(6);
    expect(up.stderr).toMatch(
      /500 Internal Server Error: .*\(POST http.*\/files\/c500\.bin\/commit\)/,
    );
    // The default policy waits 10 s before a retry: there was none.
    expect(Date.now() - started).toBeLessThan(5000);
    const commits = cli.server.requestLog.filter(
      (e) => e.method === "POST" && e.path.endsWith("/files/c500.bin/commit"),
    );
    expect(commits).toHaveLength(1);
    const listed = await nrp(["list", "files", "@c500", "--format", "json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it("upload files: a bad path fails alone, the others are uploaded", async () => {
    await draft("many");
    const a = await localFile("a.txt", 100);
    const b = await localFile("b.txt", 2000);
    const c = await localFile("c.txt", 0);
    const dir = join(cli.work, "a-directory");
    await mkdir(dir, { recursive: true });
    const r = await nrp([
      "upload",
      "files",
      "@many",
      a,
      join(cli.work, "missing.txt"),
      b,
      dir,
      c,
      "--concurrency",
      "2",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("failed  missing.txt: Cannot read");
    expect(r.stderr).toContain(
      `failed  a-directory: ${dir} is a directory without files to upload (hidden files`,
    );
    expect(r.stderr).toMatch(/ok {6}b\.txt \(1\.95 KiB, md5:/);
    expect(r.stderr).toContain("2 of 5 files were not uploaded.");
    const results = JSON.parse(r.stdout) as Json[];
    expect(results.map((x) => [String(x["key"]), String(x["status"])])).toEqual([
      ["a.txt", "uploaded"],
      ["missing.txt", "failed"],
      ["b.txt", "uploaded"],
      ["c.txt", "uploaded"],
      ["a-directory", "failed"],
    ]);
    const listed = json(await nrp(["list", "files", "@many"]));
    expect(listed.map((f: Json) => String(f["key"])).sort()).toEqual(["a.txt", "b.txt", "c.txt"]);

    // Run again once the missing file exists: what is there is left alone, the rest is sent.
    const late = await localFile("missing.txt", 300);
    const rerun = await nrp(["upload", "files", "@many", a, late, b, c]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(
      (JSON.parse(rerun.stdout) as Json[]).map((x) => [String(x["key"]), String(x["status"])]),
    ).toEqual([
      ["a.txt", "unchanged"],
      ["missing.txt", "uploaded"],
      ["b.txt", "unchanged"],
      ["c.txt", "unchanged"],
    ]);
    expect(rerun.stderr).toContain("same    a.txt: already uploaded with the same md5");

    // All of them into a directory, byte for byte.
    const out = join(cli.work, "out-many");
    const down = await nrp(["download", "files", "@many", "*", "-o", out]);
    expect(down.code, down.stderr).toBe(0);
    for (const p of [a, b, c, late]) {
      expect(await sha256File(join(out, p.split("/").pop() ?? ""))).toBe(await sha256File(p));
    }
    const rows = JSON.parse(down.stdout) as Json[];
    expect(rows.every((x) => x["status"] === "downloaded" && x["verified"] === true)).toBe(true);
    const pattern = await nrp([
      "download",
      "file",
      "@many",
      "[ab].txt",
      "-o",
      join(cli.work, "ab"),
    ]);
    expect(pattern.code, pattern.stderr).toBe(0);
    expect((await readdir(join(cli.work, "ab"))).sort()).toEqual(["a.txt", "b.txt"]);
  });

  it("upload files DIR: the tree goes up under relative keys and comes back byte for byte", async () => {
    await draft("tree");
    const src = join(cli.work, "tree-src");
    const files: Record<string, number> = {
      "top.txt": 10,
      "raw/a.bin": 70_000,
      "raw/deep/b.bin": 1,
      "raw/deep/empty.txt": 0,
      "notes/readme.md": 300,
      "notes/draft.tmp": 5, // excluded by name at any depth
      "cache/x.bin": 5, // excluded as a directory
      ".git/config": 5, // hidden directory
      "raw/.hidden": 5, // hidden file
    };
    for (const [key, size] of Object.entries(files)) {
      await mkdir(join(src, key, ".."), { recursive: true });
      await writeFile(join(src, key), randomBytes(size));
    }
    // A link inside the tree is followed; one leading out of it is not.
    const outside = await localFile("outside-secret.txt", 20);
    await symlink(outside, join(src, "raw", "leak.txt"));
    await symlink(join(src, "top.txt"), join(src, "notes", "top-link.txt"));
    const expected = [
      "notes/readme.md",
      "notes/top-link.txt",
      "raw/a.bin",
      "raw/deep/b.bin",
      "raw/deep/empty.txt",
      "top.txt",
    ];

    const up = await nrp([
      "upload",
      "files",
      "@tree",
      `${src}/`,
      "--recursive",
      "--exclude",
      "*.tmp",
      "--exclude",
      "cache",
    ]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain("skipped raw/leak.txt: a symbolic link to outside the directory");
    expect(up.stderr).toContain("Uploaded 6 files to");
    const rows = JSON.parse(up.stdout) as Json[];
    expect(rows.map((x) => String(x["key"])).sort()).toEqual(expected);
    const listed = json(await nrp(["list", "files", "@tree"]));
    expect(listed.map((f: Json) => String(f["key"])).sort()).toEqual(expected);

    // Again: nothing is sent twice.
    const again = await nrp([
      "upload",
      "files",
      "@tree",
      src,
      "--exclude",
      "*.tmp",
      "--exclude",
      "cache",
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Json[]).every((x) => x["status"] === "unchanged")).toBe(
      true,
    );

    // No key means every file; keys with / become directories below -o.
    const out = join(cli.work, "tree-out");
    const down = await nrp(["download", "file", "@tree", "-o", out]);
    expect(down.code, down.stderr).toBe(0);
    for (const key of expected) {
      const original = key === "notes/top-link.txt" ? "top.txt" : key;
      expect(await sha256File(join(out, key)), key).toBe(await sha256File(join(src, original)));
    }
    // '**' says the same, and a pattern picks a subtree.
    const sub = join(cli.work, "tree-sub");
    const part = await nrp(["download", "file", "@tree", "raw/**", "-o", sub]);
    expect(part.code, part.stderr).toBe(0);
    expect((await readdir(join(sub, "raw", "deep"))).sort()).toEqual(["b.bin", "empty.txt"]);
    const all = await nrp(["download", "file", "@tree", "**", "-o", join(cli.work, "tree-all")]);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toHaveLength(expected.length);
  });

  it("upload files DIR: an interrupted tree upload continues where it stopped", async () => {
    await draft("treeresume");
    const src = join(cli.work, "tree-resume");
    await mkdir(join(src, "big"), { recursive: true });
    await writeFile(join(src, "big", "part.bin"), randomBytes(8 * 4096 + 100));
    await writeFile(join(src, "small.txt"), "small");
    // Part 4 of the multipart upload is cut mid-body; without retries that file stops there.
    const argv = ["upload", "files", "@treeresume", src, "--transfer", "M", "--part-size", "4K"];
    const first = await cutAtPart(argv, "/content/4");
    expect(first.code, first.stderr).toBe(6);
    expect(first.stderr).toContain("1 of 2 files were not uploaded.");
    expect(first.stderr).toContain("Running the same command again sends only what is missing.");
    // Parts are sent four at a time, so how many were acknowledged before the cut varies.
    const kept = Number(/stopped with (\d+) of 9 parts on the server/.exec(first.stderr)?.[1]);
    expect(kept).toBeGreaterThanOrEqual(0);
    const mark = cli.server.requestLog.length;

    const again = await nrp(argv);
    expect(again.code, again.stderr).toBe(0);
    const rows = JSON.parse(again.stdout) as Json[];
    expect(rows.map((x) => [String(x["key"]), String(x["status"])])).toEqual([
      ["big/part.bin", "uploaded"],
      ["small.txt", "unchanged"],
    ]);
    expect(again.stderr).toContain(`Resuming big/part.bin: ${String(kept)} of 9 parts`);
    // Only the parts not acknowledged are sent again, and small.txt not at all.
    const puts = cli.server.requestLog
      .slice(mark)
      .filter((e) => e.method === "PUT" && e.status === 200)
      .map((e) => e.path);
    expect(puts.filter((p) => p.includes("/files/big%2Fpart.bin/content/"))).toHaveLength(9 - kept);
    expect(puts.filter((p) => p.includes("/files/small.txt/"))).toEqual([]);
    const out = join(cli.work, "tree-resume-out");
    expect((await nrp(["download", "file", "@treeresume", "-o", out])).code).toBe(0);
    expect(await sha256File(join(out, "big", "part.bin"))).toBe(
      await sha256File(join(src, "big", "part.bin")),
    );
  });

  it("upload files DIR of small files: one init per batch, every md5 right; a re-run after a failure sends only the missing file", async () => {
    await draft("smallmany");
    const src = join(cli.work, "small-many");
    await mkdir(src, { recursive: true });
    const md5s = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const key = `f${String(i).padStart(2, "0")}.txt`;
      const bytes = randomBytes(1 + ((i * 997) % 5000));
      await writeFile(join(src, key), bytes);
      md5s.set(key, createHash("md5").update(bytes).digest("hex"));
    }
    // f07's content is refused once, and so is the deletion of its pending entry: the pending
    // file stays on the server, as after a killed process, and the journal must say it is ours.
    const put = cli.server.faults.add({
      method: "PUT",
      path: "/api/**/files/f07.txt/content",
      status: 500,
      times: 1,
    });
    const del = cli.server.faults.add({
      method: "DELETE",
      path: "/api/**/files/f07.txt",
      status: 500,
      times: 1,
    });
    const mark = cli.server.requestLog.length;
    const first = await nrp(["upload", "files", "@smallmany", src, "--concurrency", "4"], {
      env: { NRP_INVENIO_CLIENT_RETRY_COUNT: "0" },
    });
    cli.server.faults.remove(put);
    cli.server.faults.remove(del);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain("failed  f07.txt:");
    expect(first.stderr).toContain("1 of 40 files were not uploaded.");
    const log = cli.server.requestLog.slice(mark);
    const inits = log.filter((e) => e.method === "POST" && /\/draft\/files$/.test(e.path));
    expect(inits).toHaveLength(1);
    expect(log.filter((e) => e.method === "PUT" && e.path.endsWith("/content"))).toHaveLength(40);
    const pending = json(await nrp(["list", "files", "@smallmany"])) as unknown as Json[];
    expect(pending.find((f) => f["key"] === "f07.txt")?.["status"]).toBe("pending");
    expect(await journals()).toHaveLength(1);

    const again = cli.server.requestLog.length;
    const second = await nrp(["upload", "files", "@smallmany", src]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("again   f07.txt: an interrupted upload left it pending");
    const rows = JSON.parse(second.stdout) as Json[];
    expect(rows.filter((x) => x["status"] === "uploaded").map((x) => String(x["key"]))).toEqual([
      "f07.txt",
    ]);
    expect(rows.filter((x) => x["status"] === "unchanged")).toHaveLength(39);
    const puts = cli.server.requestLog
      .slice(again)
      .filter((e) => e.method === "PUT")
      .map((e) => e.path.split("/files/")[1]);
    expect(puts).toEqual(["f07.txt/content"]);
    expect(await journals()).toEqual([]);
    const listed = json(await nrp(["list", "files", "@smallmany"])) as unknown as Json[];
    expect(listed).toHaveLength(40);
    for (const f of listed) {
      expect(f["status"]).toBe("completed");
      expect(f["checksum"]).toBe(`md5:${md5s.get(String(f["key"])) ?? ""}`);
    }
    const out = join(cli.work, "small-many-out");
    expect((await nrp(["download", "files", "@smallmany", "*", "-o", out])).code).toBe(0);
    for (const [key, md5] of md5s) {
      expect(
        createHash("md5")
          .update(await readFile(join(out, key)))
          .digest("hex"),
      ).toBe(md5);
    }
  });

  it("upload files: Ctrl-C during a batch of small files leaves nothing pending; a re-run sends the rest", async () => {
    await draft("smallabort");
    const src = join(cli.work, "small-abort");
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 12; i++)
      await writeFile(join(src, `a${String(i).padStart(2, "0")}.txt`), `file ${String(i)}\n`);
    const first = await interruptedAt(
      ["upload", "files", "@smallabort", src, "--concurrency", "1"],
      "PUT",
      "/a05.txt/content",
    );
    expect(first.code).toBe(130);
    const listed = json(await nrp(["list", "files", "@smallabort"])) as unknown as Json[];
    // a00..a04 are committed; the interrupted a05 was deleted, nothing is left pending.
    expect(listed.map((f) => [String(f["key"]), String(f["status"])]).sort()).toEqual(
      ["a00.txt", "a01.txt", "a02.txt", "a03.txt", "a04.txt"].map((k) => [k, "completed"]),
    );
    const mark = cli.server.requestLog.length;
    const again = await nrp(["upload", "files", "@smallabort", src]);
    expect(again.code, again.stderr).toBe(0);
    const puts = cli.server.requestLog
      .slice(mark)
      .filter((e) => e.method === "PUT")
      .map((e) => e.path.split("/files/")[1])
      .sort();
    expect(puts).toEqual(
      ["a05", "a06", "a07", "a08", "a09", "a10", "a11"].map((k) => `${k}.txt/content`),
    );
    expect(await journals()).toEqual([]);
  });

  it("upload files: a directory with nothing to upload fails without suggesting a re-run", async () => {
    await draft("emptydir");
    const dir = join(cli.work, "only-hidden");
    await mkdir(join(dir, ".cache"), { recursive: true });
    await writeFile(join(dir, ".env"), "x");
    const r = await nrp(["upload", "files", "@emptydir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `failed  only-hidden: ${dir} is a directory without files to upload (hidden files and --exclude matches are skipped).`,
    );
    expect(r.stderr).not.toContain("again");
    expect(json(await nrp(["list", "files", "@emptydir"]))).toEqual([]);
  });

  it("upload files: two paths with the same key are refused before anything is sent", async () => {
    await draft("clash");
    const one = join(cli.work, "clash1");
    const two = join(cli.work, "clash2");
    for (const d of [one, two]) {
      await mkdir(d, { recursive: true });
      await writeFile(join(d, "same.txt"), d);
    }
    const r = await nrp(["upload", "files", "@clash", one, two]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(one, "same.txt")} and ${join(two, "same.txt")} would both be uploaded as same.txt.`,
    );
    expect(json(await nrp(["list", "files", "@clash"]))).toEqual([]);
  });

  it("refuses keys that would write outside the output directory", async () => {
    const d = await draft("evil");
    // The library refuses such keys, so the entries are made with raw requests.
    const evil = [
      "../evil.txt",
      `/${cli.work.replace(/^\//, "")}/abs-evil.txt`,
      "nul\u0000.txt",
      "new\nline-evil.txt",
      "esc\u001b[31mred-evil.txt",
    ];
    for (const key of evil) {
      const res = await fetch(d["links"]["files"] as string, {
        method: "POST",
        headers: {
          authorization: `Bearer ${cli.server.tokens.owner}`,
          "content-type": "application/json",
        },
        body: JSON.stringify([{ key }]),
      });
      expect(res.status).toBe(201);
    }
    json(await nrp(["upload", "file", "@evil", await localFile("good.txt", 10)]));
    const out = join(cli.work, "out-evil");
    const r = await nrp(["download", "file", "@evil", "*", "-o", out]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Refusing to write the file "../evil.txt"');
    await expect(stat(join(cli.work, "evil.txt"))).rejects.toThrow();
    // Each key alone into a directory: refused with the reason, nothing written anywhere.
    const reasons = [
      "..",
      "absolute path",
      "control character",
      "control character",
      "control character",
    ];
    for (const [i, key] of evil.entries()) {
      const one = await nrp(["download", "file", "@evil", key, "-o", `${out}/`]);
      expect(one.code, key).toBe(5);
      expect(one.stderr).toContain(`Refusing to write the file ${JSON.stringify(key)}`);
      expect(one.stderr).toContain(reasons[i]);
      // A key's control characters never reach the terminal raw.
      expect(one.stderr).not.toContain("\u0000");
      expect(one.stderr).not.toContain("new\nline");
      expect(one.stderr).not.toContain("\u001b");
    }
    // Listed, the keys show their control characters as escapes, not as terminal commands.
    const listed = await nrp(["list", "files", "@evil"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("esc\\u001b[31mred-evil.txt");
    expect(listed.stdout).toContain("nul\\u0000.txt");
    expect(listed.stdout).not.toContain("\u001b");
    expect(listed.stdout).not.toContain("\u0000");
    await expect(readdir(out)).rejects.toThrow();
    expect((await readdir(cli.work)).filter((f) => f.includes("evil"))).toEqual([]);

    // Uploads under such keys are refused before any request.
    const before = cli.server.requestLog.length;
    for (const key of ["../x.txt", "/abs.txt", "a\u0000b.txt"]) {
      const up = await nrp(["upload", "file", "@evil", join(cli.work, "good.txt"), "--key", key]);
      expect(up.code, key).toBe(5);
      expect(up.stderr).toContain(`Refusing file key ${JSON.stringify(key)}`);
      expect(up.stderr).not.toMatch(/\n\s+at /);
    }
    expect(cli.server.requestLog.slice(before).filter((e) => e.method !== "GET")).toEqual([]);
  });

  it("download file '*' into a directory; a corrupted download fails and writes nothing", async () => {
    await draft("star");
    const a = await localFile("star-a.bin", 3000);
    const b = await localFile("star-b.bin", 70_000);
    const up = await nrp(["upload", "files", "@star", a, b]);
    expect(up.code, up.stderr).toBe(0);
    const out = join(cli.work, "out-star");
    const all = await nrp(["download", "file", "@star", "*", "-o", out]);
    expect(all.code, all.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(["star-a.bin", "star-b.bin"]);
    for (const p of [a, b]) {
      expect(await sha256File(join(out, p.split("/").pop() ?? ""))).toBe(await sha256File(p));
    }
    // Run again: both are already there, nothing is fetched.
    const contentGets = (): number =>
      cli.server.requestLog.filter((e) => e.method === "GET" && e.path.endsWith("/content")).length;
    const before = contentGets();
    const rerun = await nrp(["download", "file", "@star", "*", "-o", out]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain("skipped star-a.bin: already downloaded");
    expect(rerun.stderr).toContain("skipped star-b.bin: already downloaded");
    expect(contentGets()).toBe(before);

    const fault = cli.server.faults.add({
      method: "GET",
      path: "/api/**/files/star-b.bin/content",
      corruptByteAt: 40_000,
      times: 1,
    });
    const bad = join(cli.work, "out-star-bad");
    const r = await nrp(["download", "file", "@star", "star-b.bin", "-o", `${bad}/`]);
    cli.server.faults.remove(fault);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("star-b.bin does not match its checksum");
    expect(r.stderr).toContain("the target was not touched");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(bad).catch(() => [])).toEqual([]);

    // `*` on a record without files succeeds with nothing, and says so.
    await draft("bare");
    const none = await nrp(["download", "file", "@bare", "*", "-o", join(cli.work, "out-bare")]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain("has no files; nothing to download.");
    expect(await readdir(join(cli.work, "out-bare")).catch(() => [])).toEqual([]);
  });

  it("draws a progress bar on a terminal only", async () => {
    await draft("bar");
    const path = await localFile("bar.bin", 64 * 1024);
    const tty = await nrp(["upload", "file", "@bar", path, "--format", "json"], {
      stderrTty: true,
    });
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stderr).toMatch(/bar\.bin\s+\[[=-]+\]\s+\d+% \| /);
    expect(tty.stderr).toContain("\u001b[");

    const plain = await nrp([
      "download",
      "file",
      "@bar",
      "bar.bin",
      "-o",
      join(cli.work, "bar-out/"),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain("[=");
    expect(plain.stderr).not.toContain("\u001b[");

    const piped = await nrp(["download", "file", "@bar", "bar.bin", "-o", "-"], {
      stderrTty: true,
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.bytes.equals(await readFile(path))).toBe(true);
    expect(piped.stderr).toMatch(/bar\.bin\s+\[[=-]+\]/);

    const quiet = await nrp(
      ["download", "file", "@bar", "bar.bin", "-o", join(cli.work, "bar-q/"), "--no-progress"],
      { stderrTty: true },
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("\u001b[");
  });

  it("several files on a terminal: one total bar besides the per-file bars", async () => {
    await draft("totals");
    const one = await localFile("total-1.bin", 40_000);
    const two = await localFile("total-2.bin", 24_000);
    const up = await nrp(["upload", "files", "@totals", one, two, "--format", "json"], {
      stderrTty: true,
    });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/all 2 files\s+\[[=-]+\]\s+\d+% \| /);
    expect(up.stderr).toMatch(/all 2 files\s+\[=+\]\s+100% \| 62\.5 KiB\/62\.5 KiB/);
    expect(up.stderr).toMatch(/total-1\.bin\s+\[/);

    const down = await nrp(["download", "file", "@totals", "-o", join(cli.work, "totals")], {
      stderrTty: true,
    });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/all 2 files\s+\[=+\]\s+100% \| 62\.5 KiB\/62\.5 KiB/);

    // One file: no total, its own bar says it all.
    const single = await nrp(["download", "file", "@totals", "total-1.bin", "-o", "-"], {
      stderrTty: true,
    });
    expect(single.stderr).not.toContain("all 1 files");
  });

  it("reports a metadata-only draft and an unreadable file clearly", async () => {
    json(
      await nrp([
        "create",
        "record",
        "documents",
        '{"title": "no files"}',
        "--no-files",
        "--set",
        "nofiles",
      ]),
    );
    const path = await localFile("x.bin", 10);
    const r = await nrp(["upload", "file", "@nofiles", path]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("Files are not enabled on");
    expect(r.stderr).toContain('"files": {"enabled": true}');
    const none = await nrp(["list", "files", "@nofiles"]);
    expect(json(none)).toEqual([]);
    expect(none.stderr).toContain("Files are not enabled on");

    await draft("perm");
    const locked = await localFile("locked.bin", 10);
    await chmod(locked, 0o000);
    const missing = await nrp(["upload", "file", "@perm", join(cli.work, "nope.bin")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Cannot read");
    await chmod(locked, 0o600);
    const stdinWithoutKey = await nrp(["upload", "file", "@perm", "-"]);
    expect(stdinWithoutKey.code).toBe(2);
    expect(stdinWithoutKey.stderr).toContain("--key");
    const stdinInParts = await nrp(
      ["upload", "file", "@perm", "-", "--key", "in.bin", "--transfer", "M"],
      { stdin: Readable.from([Buffer.from("abc")]) },
    );
    expect(stdinInParts.code).toBe(2);
    expect(stdinInParts.stderr).toContain("Standard input cannot go up in parts");
    // An empty standard input is an empty file.
    const emptyStdin = await nrp(["upload", "file", "@perm", "-", "--key", "empty.txt"], {
      stdin: Readable.from([]),
    });
    expect(json(emptyStdin)).toMatchObject({
      key: "empty.txt",
      size: 0,
      checksum: "md5:d41d8cd98f00b204e9800998ecf8427e",
    });
    const badSize = await nrp(["upload", "file", "@perm", path, "--part-size", "lots"]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain("--part-size must be a size");
  });
});

describe("file downloads through the storage redirect", () => {
  const cli = useDevserverCli({ cwdInWork: true, server: { redirectDownloads: true } });

  it("download file -o FILE and -o - reach the storage origin without the token", async () => {
    jsonOf(
      await cli.nrp(["create", "record", "documents", '{"title": "redirect"}', "--set", "redir"]),
    );
    const path = join(cli.work, "r.bin");
    const bytes = randomBytes(90_000);
    await writeFile(path, bytes);
    jsonOf(await cli.nrp(["upload", "file", "@redir", path]));
    cli.server.requestLog.length = 0;
    const named = await cli.nrp([
      "download",
      "file",
      "@redir",
      "r.bin",
      "-o",
      join(cli.work, "c.bin"),
    ]);
    expect(named.code, named.stderr).toBe(0);
    expect((await readFile(join(cli.work, "c.bin"))).equals(bytes)).toBe(true);
    const piped = await cli.nrp(["download", "file", "@redir", "r.bin", "-o", "-"]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.bytes.equals(bytes)).toBe(true);

    const api = cli.server.requestLog.filter((e) => e.path.endsWith("/files/r.bin/content"));
    expect(api.length).toBeGreaterThanOrEqual(2);
    expect(api.every((e) => e.status === 302 && e.authorized)).toBe(true);
    const storage = cli.server.requestLog.filter((e) => e.path.startsWith("/storage/"));
    expect(storage.length).toBeGreaterThanOrEqual(2);
    expect(
      storage.every((e) => !e.headerNames.some((h) => h.toLowerCase() === "authorization")),
    ).toBe(true);
  });
});
