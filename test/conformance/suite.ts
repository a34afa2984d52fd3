// The conformance suite: the journey of a depositor and a curator through one repository, driven
// through the library and the `nrp` CLI. The same tests run against every target (the devserver
// in both flavours, a real InvenioRDM, an NRP repository); what legitimately differs between
// flavours comes from flavours.ts, never from a test's own branch.

import { createHash, randomBytes } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";

import {
  APIUserAbortError,
  BadRequestError,
  GoneError,
  NotFoundError,
  NRPError,
  PermissionDeniedError,
  PreconditionFailedError,
  ReviewPendingError,
  fromBytes,
} from "nrp-invenio-client";
import type {
  Json,
  NRPFile,
  NRPRecord,
  NRPRecordRequest,
  NRPSearchRequest,
  UploadSource,
} from "nrp-invenio-client";
import { beforeAll, describe, expect, it } from "vitest";

import { COMMUNITY_FILTER_STEP } from "./flavours.js";
import type { TargetChoice } from "./target.js";
import {
  acceptPrinted,
  deposit,
  depositFlags,
  expectPlaced,
  jsonOut,
  metadata,
  placementOf,
  publish,
  publishWithCli,
  settle,
  titled,
  useWorld,
} from "./world.js";
import type { World } from "./world.js";

const MiB = 1024 * 1024;

/** Exit codes of `nrp` the suite checks (the CLI's documented contract). */
const EXIT = { ok: 0, bug: 1, auth: 3, notFound: 4, conflict: 5 } as const;

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The ids of a page or a scan, in order. */
function idsOf(records: Iterable<NRPRecord>): string[] {
  return [...records].map((r) => r.id);
}

async function scanIds(request: NRPSearchRequest, options = {}): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of request.scan(options)) ids.push(record.id);
  return ids;
}

/** The `id`s of a JSON list (search hits, requests). */
function jsonIds(value: unknown): string[] {
  return Array.isArray(value) ? value.map((x) => String((x as Json).id)) : [];
}

/** An upload source over `bytes` that records every range it is asked for. */
function recordingSource(bytes: Uint8Array, opened: string[]): UploadSource {
  const inner = fromBytes(bytes);
  return {
    size: inner.size,
    retryable: true,
    open(start = 0, end = bytes.length) {
      opened.push(`${start}-${end}`);
      return inner.open(start, end);
    },
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure, but the call succeeded");
}

/** The comment texts of a request's timeline. */
function commentTexts(events: readonly Json[]): string[] {
  return events
    .filter((e) => e.type === "C")
    .map((e) => {
      const payload = e.payload as Json | undefined;
      return typeof payload?.content === "string" ? payload.content : "";
    });
}

/**
 * The name of the facet whose buckets hold `value` (the resource types): models name their
 * facets their own way (RDM and the devserver `resource_type`, oarepo's generated models by the
 * field's path, `metadata_resource_type`), and the client passes the name through either way.
 */
function facetHolding(aggregations: Json, value: string): string {
  const name = Object.keys(aggregations).find((key) => {
    const buckets = (aggregations[key] as Json | undefined)?.buckets;
    return Array.isArray(buckets) && (buckets as Json[]).some((b) => b.key === value);
  });
  expect(name, `a facet with the value ${value}: ${JSON.stringify(aggregations)}`).toBeDefined();
  return name ?? "";
}

/** A CLI failure that is a clear user-facing error: a documented code, no stack trace. */
function expectClearRefusal(r: { code: number; stderr: string }): void {
  expect(r.code, r.stderr).not.toBe(EXIT.ok);
  expect(r.code, r.stderr).not.toBe(EXIT.bug);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trim()).not.toBe("");
}

/** Registers the whole suite for one target, or one skipped test saying why it does not run. */
export function defineConformanceSuite(choice: TargetChoice): void {
  if ("skip" in choice) {
    console.info(`conformance: not run: ${choice.skip}`);
    describe("conformance", () => {
      it.skip(`not run: ${choice.skip}`, () => undefined);
    });
    return;
  }
  const plan = choice.plan;
  // A real server takes seconds per publish and indexes asynchronously.
  const timeout = plan.local ? 30_000 : 300_000;
  describe(`conformance [${plan.name}, ${plan.setup}]`, { timeout }, () => {
    const w = useWorld(plan, plan.local ? 60_000 : 600_000);
    const skips = w.expects.skips;
    /** `it`, unless the flavour table says this test cannot run here (the reason is in its name). */
    const step = (name: string, fn: () => Promise<void>): void => {
      const reason = skips[name];
      if (reason === undefined) {
        it(name, fn);
        return;
      }
      console.info(`conformance [${plan.name}]: skipped "${name}": ${reason}`);
      it.skip(`${name} [not on ${plan.setup}: ${reason}]`, fn);
    };
    describeDiscovery(w, step);
    describeDrafts(w, step);
    describeFiles(w, step);
    describePublished(w, step);
    describeSearch(w, step);
    describeReview(w, step);
    describeDeletion(w, step);
  });
}

type Step = (name: string, fn: () => Promise<void>) => void;

function describeDiscovery(w: World, step: Step): void {
  describe("discovery", () => {
    step("describes the repository and its deposit model (library)", async () => {
      const info = w.clients.depositor.info;
      const repo = await info.repository();
      expect(repo.isRdm).toBe(w.target.flavour === "rdm");
      const models = await info.models();
      expect(models.map((m) => m.name)).toContain(w.target.model);
      const model = await info.getModel(w.target.model);
      expect(model.url).toMatch(/^https?:\/\/.+\/api\//);
    });

    step("describes the repository and its models (CLI)", async () => {
      const repo = jsonOut(await w.nrp(["describe", "repository", "--format", "json"]));
      expect(typeof repo.name).toBe("string");
      const models = await w.nrp(["describe", "models", "--format", "json"]);
      expect(models.code, models.stderr).toBe(EXIT.ok);
      expect(models.stdout).toContain(w.target.model);
    });
  });
}

function describeDrafts(w: World, step: Step): void {
  describe("drafts", () => {
    step("creates a draft leniently: invalid values come back as warnings (library)", async () => {
      const draft = await deposit(w, titled(w, "lenient"), {
        fields: { publicationDate: "not-a-date" },
      });
      expect(draft.isDraft).toBe(true);
      expect(draft.id).not.toBe("");
      expect(draft.errors.map((e) => e.field).join(" ")).toContain("publication_date");
    });

    step("creates a draft leniently, printing the warnings (CLI)", async () => {
      const data = metadata(w, titled(w, "lenient cli"), { publicationDate: "not-a-date" });
      const r = await w.nrp([
        "create",
        "record",
        w.target.model,
        JSON.stringify(data),
        ...depositFlags(w),
        "--no-files",
        "--format",
        "json",
      ]);
      const out = jsonOut(r);
      const draft = await w.clients.depositor.records.getById(w.target.model, String(out.id), {
        draft: true,
      });
      expect(draft.isDraft).toBe(true);
      expect(r.stderr).toContain("publication_date");
    });

    step(
      "saves with If-Match; a stale copy gets 412 and overwrites nothing (library)",
      async () => {
        const draft = await deposit(w, titled(w, "if-match"));
        const read = () =>
          w.clients.depositor.records.getById(w.target.model, draft.id, { draft: true });
        const first = await read();
        const stale = await read();
        first.metadata.title = titled(w, "if-match saved");
        await first.save();
        expect(first.revisionId).toBeGreaterThan(stale.revisionId ?? Infinity);
        stale.metadata.title = titled(w, "if-match stale");
        expect(await failure(stale.save())).toBeInstanceOf(PreconditionFailedError);
        expect((await read()).metadata.title).toBe(titled(w, "if-match saved"));
      },
    );

    step("updates a draft's metadata (CLI)", async () => {
      const draft = await deposit(w, titled(w, "update cli"));
      const title = titled(w, "update cli changed");
      const r = await w.nrp(["update", "record", draft.mid, JSON.stringify({ title })]);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      const now = await w.clients.depositor.records.getById(w.target.model, draft.id, {
        draft: true,
      });
      expect(now.metadata.title).toBe(title);
    });

    step("deletes a draft (library)", async () => {
      const draft = await deposit(w, titled(w, "delete"));
      await draft.delete();
      const gone = await failure(
        w.clients.depositor.records.getById(w.target.model, draft.id, { draft: true }),
      );
      expect(gone).toBeInstanceOf(NotFoundError);
    });

    step("deletes a draft (CLI)", async () => {
      const draft = await deposit(w, titled(w, "delete cli"));
      const r = await w.nrp(["delete", "record", draft.mid, "--yes"]);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      const after = await w.nrp(["get", "record", draft.mid, "--draft"]);
      expect(after.code, after.stderr).toBe(EXIT.notFound);
    });

    step("another user may not read, change, publish or delete the draft (403)", async () => {
      const draft = await deposit(w, titled(w, "private"));
      const other = w.clients.other.records;
      const read = await failure(other.getById(w.target.model, draft.id, { draft: true }));
      expect(read).toBeInstanceOf(PermissionDeniedError);
      const asOther = { as: "other" as const };
      const upload = join(w.work, "intruder.txt");
      await writeFile(upload, "not yours");
      for (const argv of [
        ["get", "record", draft.mid, "--draft"],
        ["update", "record", draft.mid, JSON.stringify({ title: "taken over" })],
        ["publish", "record", draft.mid],
        ["upload", "file", draft.mid, upload],
        ["delete", "record", draft.mid, "--yes"],
      ]) {
        const r = await w.nrp(argv, asOther);
        expect(r.code, `nrp ${argv.join(" ")}: ${r.stderr}`).toBe(EXIT.auth);
      }
      const still = await w.clients.depositor.records.getById(w.target.model, draft.id, {
        draft: true,
      });
      expect(still.metadata.title).toBe(titled(w, "private"));
    });
  });
}

function describeFiles(w: World, step: Step): void {
  describe("files", () => {
    const small = randomBytes(2048);
    const parts = randomBytes(8 * MiB + 512 * 1024);
    const replacement = randomBytes(3000);
    const cliSmall = randomBytes(1000);
    const cliParts = randomBytes(2 * MiB + 4096);
    let draft: NRPRecord;
    let published: NRPRecord;
    let path: (name: string) => string;

    beforeAll(async () => {
      path = (name) => join(w.work, name);
      await writeFile(path("small.txt"), small);
      await writeFile(path("parts.bin"), parts);
      await writeFile(path("replacement.txt"), replacement);
      await writeFile(path("cli-small.txt"), cliSmall);
      await writeFile(path("cli-parts.bin"), cliParts);
      await writeFile(path("delete-me.txt"), "to be deleted");
      draft = await deposit(w, titled(w, "files"), { files: true });
    });

    step("uploads a small file in one request (L), checked by md5 (library)", async () => {
      const files = await draft.loadFiles();
      const file = await files.create("small.txt", { description: "small" }, path("small.txt"), {
        transfer: "L",
      });
      expect(file.status).toBe("completed");
      expect(file.size).toBe(small.length);
      expect(file.checksum).toBe(`md5:${md5(small)}`);
    });

    step(
      "uploads in parts (M), aborted after two parts and resumed with the rest (library)",
      async () => {
        const files = await draft.loadFiles();
        const controller = new AbortController();
        const acknowledged: number[] = [];
        const interrupted = await failure(
          files.create("parts.bin", {}, path("parts.bin"), {
            transfer: "M",
            partSize: MiB,
            concurrency: 1,
            keepPendingOnFailure: true,
            signal: controller.signal,
            onPartDone: (p) => {
              acknowledged.push(p.part);
              if (acknowledged.length === 2) controller.abort();
            },
          }),
        );
        expect(interrupted).toBeInstanceOf(NRPError);
        expect(acknowledged).toEqual([1, 2]);
        await files.refresh();
        expect(files.get("parts.bin")?.status).toBe("pending");

        const opened: string[] = [];
        const file = await files.create("parts.bin", {}, recordingSource(parts, opened), {
          transfer: "M",
          partSize: MiB,
          concurrency: 1,
          resume: { completedParts: acknowledged },
        });
        expect(file.status).toBe("completed");
        expect(file.checksum).toBe(`md5:${md5(parts)}`);
        // Parts 1 and 2 were not read again; parts 3..9 were.
        expect(opened).not.toContain(`0-${MiB}`);
        expect(opened).not.toContain(`${MiB}-${2 * MiB}`);
        expect(opened).toContain(`${2 * MiB}-${3 * MiB}`);
        expect(opened).toContain(`${8 * MiB}-${parts.length}`);
      },
    );

    step("uploads in one request and in parts (CLI)", async () => {
      const l = await w.nrp([
        "upload",
        "file",
        draft.mid,
        path("cli-small.txt"),
        "--transfer",
        "L",
      ]);
      expect(l.code, l.stderr).toBe(EXIT.ok);
      const m = await w.nrp([
        "upload",
        "file",
        draft.mid,
        path("cli-parts.bin"),
        "--transfer",
        "M",
        "--part-size",
        "1MiB",
      ]);
      expect(m.code, m.stderr).toBe(EXIT.ok);
      const files = await draft.loadFiles();
      expect(files.get("cli-small.txt")?.checksum).toBe(`md5:${md5(cliSmall)}`);
      expect(files.get("cli-parts.bin")?.checksum).toBe(`md5:${md5(cliParts)}`);
    });

    step(
      "initialises several keys with one request and uploads them (library createMany)",
      async () => {
        // A draft of its own: the steps below expect this draft's exact file list.
        const many = await deposit(w, titled(w, "files many"), { files: true });
        const files = await many.loadFiles();
        const contents = Array.from({ length: 12 }, (_, i) => randomBytes(1 + i * 300));
        await writeFile(path("many-00.txt"), contents[0] ?? new Uint8Array());
        const batches: string[][] = [];
        const results = await files.createMany(
          contents.map((bytes, i) => ({
            key: `many-${String(i).padStart(2, "0")}.txt`,
            // A path and bytes: both are read once and batched.
            source: i === 0 ? path("many-00.txt") : bytes,
            metadata: { description: `file ${String(i)}` },
          })),
          { batchSize: 5, concurrency: 3, onBatchStart: (keys) => void batches.push([...keys]) },
        );
        // Three init requests of 5, 5 and 2 keys, each accepted by the server.
        expect(batches.map((keys) => keys.length)).toEqual([5, 5, 2]);
        expect(results.map((r) => r.error)).toEqual(contents.map(() => undefined));
        await files.refresh();
        expect(files.length).toBe(12);
        contents.forEach((bytes, i) => {
          const file = files.get(`many-${String(i).padStart(2, "0")}.txt`);
          expect(file?.status).toBe("completed");
          expect(file?.checksum).toBe(`md5:${md5(bytes)}`);
          expect(file?.metadata).toEqual({ description: `file ${String(i)}` });
        });
      },
    );

    step("lists files, updates metadata, replaces and deletes a file (library)", async () => {
      const files = await draft.loadFiles();
      await files.create("delete-me.txt", {}, path("delete-me.txt"));
      await files.refresh();
      expect([...files].map((f) => f.key).sort()).toEqual([
        "cli-parts.bin",
        "cli-small.txt",
        "delete-me.txt",
        "parts.bin",
        "small.txt",
      ]);
      const smallFile = files.get("small.txt") as NRPFile;
      smallFile.metadata.description = "changed by the library";
      await smallFile.save();
      await files.refresh();
      expect(files.get("small.txt")?.metadata.description).toBe("changed by the library");

      const replaced = await (files.get("small.txt") as NRPFile).replace(path("replacement.txt"));
      expect(replaced.checksum).toBe(`md5:${md5(replacement)}`);
      await (files.get("delete-me.txt") as NRPFile).delete();
      await files.refresh();
      expect(files.get("small.txt")?.checksum).toBe(`md5:${md5(replacement)}`);
      expect(files.get("delete-me.txt")).toBeUndefined();
    });

    step("lists files, updates metadata, replaces and deletes a file (CLI)", async () => {
      const up = await w.nrp(["upload", "file", draft.mid, path("delete-me.txt")]);
      expect(up.code, up.stderr).toBe(EXIT.ok);
      const list: unknown = jsonOut(await w.nrp(["list", "files", draft.mid, "--format", "json"]));
      expect(Array.isArray(list) ? list.map((f) => (f as Json).key) : list).toContain(
        "delete-me.txt",
      );
      const meta = await w.nrp([
        "update",
        "file",
        draft.mid,
        "cli-small.txt",
        JSON.stringify({ description: "changed by the CLI" }),
      ]);
      expect(meta.code, meta.stderr).toBe(EXIT.ok);
      const rep = await w.nrp([
        "replace",
        "file",
        draft.mid,
        "cli-small.txt",
        path("replacement.txt"),
      ]);
      expect(rep.code, rep.stderr).toBe(EXIT.ok);
      const del = await w.nrp(["delete", "file", draft.mid, "delete-me.txt", "--yes"]);
      expect(del.code, del.stderr).toBe(EXIT.ok);
      const files = await draft.loadFiles();
      expect(files.get("cli-small.txt")?.checksum).toBe(`md5:${md5(replacement)}`);
      expect(files.get("cli-small.txt")?.metadata.description).toBe("changed by the CLI");
      expect(files.get("delete-me.txt")).toBeUndefined();
    });

    step("publishes the draft with its files", async () => {
      published = await publish(w, await draft.refresh());
      expect(published.isPublished).toBe(true);
      const files = await published.loadFiles();
      expect([...files].map((f) => f.key).sort()).toEqual([
        "cli-parts.bin",
        "cli-small.txt",
        "parts.bin",
        "small.txt",
      ]);
      expect(files.get("parts.bin")?.checksum).toBe(`md5:${md5(parts)}`);
    });

    step("downloads a file verified and byte-identical (library and CLI)", async () => {
      const file = (await published.loadFiles()).get("parts.bin") as NRPFile;
      const target = await file.download(path("download-lib.bin"));
      expect(md5(await readFile(target))).toBe(md5(parts));
      const r = await w.nrp([
        "download",
        "file",
        published.mid,
        "parts.bin",
        "-o",
        path("download-cli.bin"),
      ]);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      expect(md5(await readFile(path("download-cli.bin")))).toBe(md5(parts));
    });

    /**
     * Whether the server honours Range on a published file's content (206) or sends it whole
     * (200; InvenioRDM 13 and oarepo on local storage), as it answers a plain GET.
     */
    const honoursRange = async (key: string): Promise<boolean> => {
      const file = (await published.loadFiles()).get(key) as NRPFile;
      const seen = await w.observe(file.links.content ?? "", { range: "bytes=1-4" });
      expect([200, 206], `Range on content: ${seen.status}`).toContain(seen.status);
      return seen.status === 206;
    };

    step(
      "a byte range of content: the bytes asked for where the server answers 206, else the whole content (library)",
      async () => {
        // small.txt holds `replacement` since the file was replaced.
        const file = (await published.loadFiles()).get("small.txt") as NRPFile;
        const bytes = await readAll(await file.open({ start: 1, end: 5 }));
        const expected = (await honoursRange("small.txt"))
          ? replacement.subarray(1, 5)
          : replacement;
        expect(md5(bytes)).toBe(md5(expected));
      },
    );

    /** Starts a download of parts.bin to `target` and aborts it once bytes are on disk. */
    const interruptDownload = async (target: string): Promise<number> => {
      const file = (await published.loadFiles()).get("parts.bin") as NRPFile;
      const controller = new AbortController();
      const aborted = await failure(
        file.download(target, {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.transferredBytes > 0) controller.abort();
          },
        }),
      );
      expect(aborted).toBeInstanceOf(APIUserAbortError);
      // The documented temporary file beside the target holds a prefix.
      const partial = (await stat(join(dirname(target), `.${basename(target)}.nrp-part`))).size;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(parts.length);
      return partial;
    };

    step("an interrupted download, run again, ends byte-identical (library)", async () => {
      const target = path("resume-lib.bin");
      await interruptDownload(target);
      const file = (await published.loadFiles()).get("parts.bin") as NRPFile;
      await file.download(target);
      expect(md5(await readFile(target))).toBe(md5(parts));
    });

    step(
      "an interrupted download, run again, ends byte-identical and claims a resume only where Range works (CLI)",
      async () => {
        const target = path("rerun-cli.bin");
        await interruptDownload(target);
        const r = await w.nrp(["download", "file", published.mid, "parts.bin", "-o", target]);
        expect(r.code, r.stderr).toBe(EXIT.ok);
        expect(md5(await readFile(target))).toBe(md5(parts));
        expect(/^Resuming \S+ from /m.test(r.stderr), r.stderr).toBe(
          await honoursRange("parts.bin"),
        );
      },
    );

    let second: NRPRecord;
    step("a new version starts without files and publishes with its own (library)", async () => {
      const next = await published.newVersion();
      expect(next.isDraft).toBe(true);
      expect(next.id).not.toBe(published.id);
      const files = await next.loadFiles();
      expect(files.length).toBe(0);
      await files.create("v2.txt", {}, small);
      // A new version is described afresh (RDM drops publication_date from it).
      await next.refresh();
      Object.assign(next.metadata, metadata(w, titled(w, "files v2")));
      second = await publish(w, await next.save());
      expect((second.data.parent as Json).id).toBe((published.data.parent as Json).id);
      const keys = [...(await second.loadFiles())].map((f) => f.key);
      expect(keys).toEqual(["v2.txt"]);
    });

    step("a new version keeping the files has the previous version's files (library)", async () => {
      const next = await second.newVersion({ keepFiles: true });
      const files = await next.loadFiles();
      expect([...files].map((f) => [f.key, f.status, f.checksum])).toEqual([
        ["v2.txt", "completed", `md5:${md5(small)}`],
      ]);
      await next.refresh();
      Object.assign(next.metadata, metadata(w, titled(w, "files v3")));
      const third = await publish(w, await next.save());
      const file = (await third.loadFiles()).get("v2.txt") as NRPFile;
      const target = await file.download(path("v3.txt"));
      expect(md5(await readFile(target))).toBe(md5(small));
    });

    step("starts a new version and deletes its draft (CLI)", async () => {
      const out = jsonOut(await w.nrp(["version", "record", published.mid, "--format", "json"]));
      const id = String(out.id);
      expect(id).not.toBe(published.id);
      const draft = await w.clients.depositor.records.getById(w.target.model, id, { draft: true });
      expect(draft.isDraft).toBe(true);
      const del = await w.nrp(["delete", "record", `${w.target.model}/${id}`, "--yes"]);
      expect(del.code, del.stderr).toBe(EXIT.ok);
    });
  });
}

function describePublished(w: World, step: Step): void {
  describe("published records", () => {
    let record: NRPRecord;

    step("publishes a metadata-only draft (library)", async () => {
      const draft = await deposit(w, titled(w, "published"));
      record = await publish(w, draft);
      expect(record.isPublished).toBe(true);
      expect(record.isDraft).toBe(false);
      expect(record.metadata.title).toBe(titled(w, "published"));
    });

    step("publishes a draft (CLI)", async () => {
      const data = metadata(w, titled(w, "published cli"));
      const created = jsonOut(
        await w.nrp([
          "create",
          "record",
          w.target.model,
          JSON.stringify(data),
          ...depositFlags(w),
          "--no-files",
          "--format",
          "json",
        ]),
      );
      const mid = `${w.target.model}/${String(created.id)}`;
      await publishWithCli(w, mid);
      const after = jsonOut(await w.nrp(["get", "record", mid, "--format", "json"]));
      expect(after.id).toBe(created.id);
      const record = await w.clients.depositor.records.getById(w.target.model, String(created.id));
      expect(record.isPublished).toBe(true);
    });

    step("reads a record by id, API URL and landing page URL (library)", async () => {
      const records = w.clients.depositor.records;
      const links = record.links;
      expect(links.self_html).toMatch(/^https?:\/\//);
      for (const id of [record.mid, links.self ?? "", links.self_html ?? ""]) {
        const read = await records.get(id);
        expect(read.id, id).toBe(record.id);
        expect(read.isPublished).toBe(true);
      }
    });

    step("reads a record by id, API URL and landing page URL (CLI)", async () => {
      for (const id of [record.mid, record.links.self ?? "", record.links.self_html ?? ""]) {
        const out = jsonOut(await w.nrp(["get", "record", id, "--format", "json"]));
        expect(out.id, id).toBe(record.id);
      }
    });

    step("edits a published record: a draft, a change, published again (library)", async () => {
      const draft = await record.edit();
      expect(draft.isDraft).toBe(true);
      expect(draft.id).toBe(record.id);
      draft.metadata.title = titled(w, "published edited");
      await draft.save();
      const again = await publish(w, draft);
      expect(again.metadata.title).toBe(titled(w, "published edited"));
      expect(again.revisionId).toBeGreaterThan(record.revisionId ?? Infinity);
    });

    step("edits a published record (CLI)", async () => {
      const edit = await w.nrp(["edit", "record", record.mid]);
      expect(edit.code, edit.stderr).toBe(EXIT.ok);
      const title = titled(w, "published edited cli");
      const update = await w.nrp(["update", "record", record.mid, JSON.stringify({ title })]);
      expect(update.code, update.stderr).toBe(EXIT.ok);
      await publishWithCli(w, record.mid);
      const out = jsonOut(await w.nrp(["get", "record", record.mid, "--format", "json"]));
      expect((out.metadata as Json).title).toBe(title);
    });
  });
}

function describeSearch(w: World, step: Step): void {
  describe("search", () => {
    /** One search token only this group's records carry. */
    let word: string;
    let alpha: NRPRecord;
    let beta: NRPRecord;
    let gamma: NRPRecord;
    const search = (): NRPSearchRequest =>
      w.clients.depositor.searchRequest(w.target.model).query(word);

    beforeAll(async () => {
      word = `${w.run}search`;
      const make = async (label: string, resourceType: "dataset" | "software") =>
        publish(w, await deposit(w, `${word} ${label}`, { fields: { resourceType } }));
      alpha = await make("alpha", "dataset");
      beta = await make("beta", "dataset");
      gamma = await make("gamma", "software");
      await w.eventually(
        () => search().execute(),
        (page) => page.total >= 3,
      );
    });

    step("finds records by a query string (q)", async () => {
      const page = await search().execute();
      expect(page.total).toBe(3);
      expect(idsOf(page).sort()).toEqual([alpha.id, beta.id, gamma.id].sort());
      const one = await w.clients.depositor
        .searchRequest(w.target.model)
        .query(`${word} AND gamma`)
        .execute();
      expect(idsOf(one)).toEqual([gamma.id]);
    });

    step("sorts newest and oldest first", async () => {
      expect(idsOf(await search().orderBy("-created").execute())).toEqual([
        gamma.id,
        beta.id,
        alpha.id,
      ]);
      expect(idsOf(await search().orderBy("created").execute())).toEqual([
        alpha.id,
        beta.id,
        gamma.id,
      ]);
    });

    step("pages by size, following the next links to the last page", async () => {
      const first = await search().orderBy("created").size(2).execute();
      expect(first.length).toBe(2);
      expect(first.total).toBe(3);
      expect(first.hasNextPage).toBe(true);
      const seen: string[] = [];
      for await (const page of search().orderBy("created").size(1).pages()) {
        seen.push(...idsOf(page));
      }
      expect(seen).toEqual([alpha.id, beta.id, gamma.id]);
    });

    step("filters by a facet and counts the facet's values", async () => {
      const all = await search().execute();
      const facet = facetHolding(all.aggregations, "software");
      const buckets = (all.aggregations[facet] as Json).buckets as Json[];
      expect(buckets.map((b) => [b.key, b.doc_count])).toEqual(
        expect.arrayContaining([
          ["dataset", 2],
          ["software", 1],
        ]),
      );
      const software = await search().facet(facet, "software").execute();
      expect(idsOf(software)).toEqual([gamma.id]);
    });

    step(COMMUNITY_FILTER_STEP, async () => {
      const community = w.target.community;
      if (community === undefined) throw new Error(`${w.target.name} has no community`);
      const expected =
        placementOf(w).community === undefined ? [] : [alpha.id, beta.id, gamma.id].sort();
      const page = await search().community(community.slug).execute();
      expect(idsOf(page).sort(), w.expects.ordinaryDeposit.why).toEqual(expected);
      const byId = await search().community(community.id).execute();
      expect(idsOf(byId).sort()).toEqual(expected);
      const base = ["search", "records", "--model", w.target.model, "--format", "json"];
      const cli = jsonOut(await w.nrp([...base, word, "--community", community.slug]));
      expect(jsonIds(cli).sort()).toEqual(expected);
    });

    step("answers a structured query without creating anything", async () => {
      // Drafts are counted once a fresh marker draft shows: the index has then caught up with
      // everything created before it (a real server indexes asynchronously).
      const drafts = w.clients.depositor.searchRequest(w.target.model).drafts().size(1);
      const settled = async (label: string): Promise<number> => {
        const marker = await deposit(w, titled(w, label));
        const total = async () => {
          const page = await drafts.query(`id:"${marker.id}"`).execute();
          return { marker: page.total, all: (await drafts.execute()).total };
        };
        const seen = await w.eventually(total, (n) => n.marker === 1);
        await marker.delete();
        return seen.all;
      };
      const before = await settled("marker before");
      const page = await w.clients.depositor
        .searchRequest(w.target.model)
        .query({ terms: { id: [alpha.id, gamma.id] } })
        .execute();
      // A POST to a collection URL creates a draft: the most harmful failure is checked first.
      expect(await settled("marker after")).toBe(before);
      expect(idsOf(page).sort()).toEqual([alpha.id, gamma.id].sort());
    });

    /**
     * What the server itself does with a syntactically broken `q` whose words match nothing:
     * refuses it (400; the devserver's `nrp` flavour) or searches its words as plain text (200
     * and no hits; InvenioRDM 13, oarepo). The client must report either faithfully.
     */
    const brokenQuery = (): string => `(${word}nomatch`;
    const brokenQueryAnswer = async (): Promise<"rejected" | "empty"> => {
      const { url } = await w.clients.depositor.info.getModel(w.target.model);
      const probe = new URL(url);
      probe.searchParams.set("q", brokenQuery());
      const seen = await w.observe(probe.href);
      expect([200, 400], `a broken q: ${seen.status}`).toContain(seen.status);
      return seen.status === 400 ? "rejected" : "empty";
    };

    step(
      "a broken query string: a clear 400 where the server refuses it, else no hits",
      async () => {
        const outcome = await search()
          .query(brokenQuery())
          .execute()
          .then(
            (page) => (page.total === 0 ? "empty" : `hits: ${page.total}`),
            (error: unknown) => (error instanceof BadRequestError ? "rejected" : String(error)),
          );
        expect(outcome).toBe(await brokenQueryAnswer());
      },
    );

    step("pages up to the 10 000-hit window and is refused past it", async () => {
      const client = w.clients.depositor;
      const last = await client.search(w.target.model, { query: word, size: 100, page: 100 });
      expect(last.length).toBe(0);
      const past = await failure(
        client.search(w.target.model, { query: word, size: 100, page: 101 }),
      );
      expect(past).toBeInstanceOf(BadRequestError);
    });

    step("scans every match exactly once, also past a (small) window", async () => {
      const expected = [alpha.id, beta.id, gamma.id].sort();
      expect((await scanIds(search(), { pageSize: 2 })).sort()).toEqual(expected);
      // A window smaller than the hits makes the scan split `created` ranges, as it must past 10 000.
      expect((await scanIds(search(), { window: 2, pageSize: 1 })).sort()).toEqual(expected);
    });

    step("searches with q, sort, size, facets and a JSON query (CLI)", async () => {
      const base = ["search", "records", "--model", w.target.model, "--format", "json"];
      const newest = jsonOut(await w.nrp([...base, word, "--sort", "newest", "--size", "2"]));
      expect(jsonIds(newest)).toEqual([gamma.id, beta.id]);
      const counts = jsonOut(await w.nrp([...base, word, "--facets"]));
      expect(counts.total).toBe(3);
      const name = facetHolding(counts.facets as Json, "software");
      const facet = jsonOut(await w.nrp([...base, word, "--facet", `${name}=software`]));
      expect(jsonIds(facet)).toEqual([gamma.id]);
      const json = jsonOut(
        await w.nrp([...base, "--json-query", JSON.stringify({ terms: { id: [beta.id] } })]),
      );
      expect(jsonIds(json)).toEqual([beta.id]);
    });

    step("exit codes of a broken query and of a page past the window (CLI)", async () => {
      const broken = await w.nrp(["search", "records", "--model", w.target.model, brokenQuery()]);
      const exits = { rejected: EXIT.conflict, empty: EXIT.ok } as const;
      expect(broken.code, broken.stderr).toBe(exits[await brokenQueryAnswer()]);
      const far = await w.nrp([
        "search",
        "records",
        "--model",
        w.target.model,
        word,
        "--size",
        "100",
        "--page",
        "101",
      ]);
      expect(far.code, far.stderr).toBe(EXIT.conflict);
      expect(far.stderr).toContain("nrp scan records");
    });

    step("scans every match (CLI)", async () => {
      const r = await w.nrp([
        "scan",
        "records",
        word,
        "--model",
        w.target.model,
        "--scan-window",
        "2",
        "--format",
        "jsonl",
      ]);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      const ids = r.stdout
        .trim()
        .split("\n")
        .map((line) => String((JSON.parse(line) as Json).id));
      expect(ids.sort()).toEqual([alpha.id, beta.id, gamma.id].sort());
    });
  });
}

function describeReview(w: World, step: Step): void {
  describe(`review by a curator (${w.expects.curatedDeposit.why}; ${w.expects.reviewRequestType.why})`, () => {
    let word: string;
    /** The depositor's requests, by what happened to them; `other` is another user's. */
    const requests: Partial<Record<"accepted" | "declined" | "cancelled" | "other", string>> = {};

    beforeAll(() => {
      word = `${w.run}review`;
    });

    /** The curator's inbox once it has (or no longer has) request `id`, as ids. */
    const inboxHas = async (id: string, present: boolean): Promise<string[]> =>
      w.eventually(
        async () => (await w.clients.curator.requests.inbox()).map((r) => r.id),
        (ids) => ids.includes(id) === present,
      );

    /** A curated draft, published: the submitted review request it waits for. */
    const submit = async (
      label: string,
      as: "depositor" | "other" = "depositor",
    ): Promise<{ draft: NRPRecord; request: NRPRecordRequest }> => {
      const draft = await deposit(w, `${word} ${label}`, { as, kind: "curated" });
      const pending = await failure(draft.publish());
      expect(pending, String(pending)).toBeInstanceOf(ReviewPendingError);
      const request = (pending as ReviewPendingError).request;
      expect(request.status).toBe("submitted");
      expect(request.type).toBe(w.expects.reviewRequestType.value);
      return { draft, request };
    };

    step(
      "publishing a curated draft submits it; both comment; the curator accepts from the inbox (library)",
      async () => {
        const { draft, request } = await submit("accepted");
        requests.accepted = request.id;
        await request.comment(`${word} from the depositor`);
        expect(await inboxHas(request.id, true)).toContain(request.id);
        const asCurator = await w.clients.curator.requests.get(request.id);
        await asCurator.comment(`${word} from the curator`);
        await asCurator.accept(`${word} welcome`);
        expect(asCurator.status).toBe("accepted");
        const comments = [`${word} from the depositor`, `${word} from the curator`];
        const timeline = await w.eventually(
          async () => commentTexts(await request.timeline()).join("\n"),
          (texts) => comments.every((c) => texts.includes(c)),
        );
        for (const comment of comments) expect(timeline).toContain(comment);
        const record = await w.clients.depositor.records.getById(w.target.model, draft.id);
        expect(record.isPublished).toBe(true);
        await expectPlaced(w, record, "curated", word);
      },
    );

    step(
      "the draft lists its review; the curator declines and it stays a draft (library)",
      async () => {
        const { draft, request } = await submit("declined");
        requests.declined = request.id;
        const listed = await w.eventually(
          async () => (await draft.loadRequests()).all.map((r) => r.id),
          (ids) => ids.includes(request.id),
        );
        expect(listed).toContain(request.id);
        const asCurator = await w.clients.curator.requests.get(request.id);
        await asCurator.decline(`${word} not for us`);
        expect((await request.refresh()).status).toBe("declined");
        const published = await failure(
          w.clients.depositor.records.getById(w.target.model, draft.id),
        );
        expect(published).toBeInstanceOf(NotFoundError);
        const still = await w.clients.depositor.records.getById(w.target.model, draft.id, {
          draft: true,
        });
        expect(still.isPublished).toBe(false);
      },
    );

    step(
      "the depositor cancels a submitted review; it leaves the curator's inbox (library)",
      async () => {
        const { request } = await submit("cancelled");
        requests.cancelled = request.id;
        expect(await inboxHas(request.id, true)).toContain(request.id);
        await request.cancel();
        expect(request.status).toBe("cancelled");
        expect(await inboxHas(request.id, false)).not.toContain(request.id);
      },
    );

    step(
      "my requests are my own: not another user's, and none of them for the curator (library)",
      async () => {
        const { request } = await submit("other", "other");
        requests.other = request.id;
        // Once the curator sees it, every search has it: its absence below means something.
        expect(await inboxHas(request.id, true)).toContain(request.id);
        const mine = async (role: "depositor" | "curator"): Promise<string[]> => {
          const ids: string[] = [];
          for await (const r of await w.clients[role].requests.search({ mine: true, size: 100 })) {
            ids.push(r.id);
          }
          return ids;
        };
        const own = [requests.accepted, requests.declined, requests.cancelled].filter(
          (id): id is string => id !== undefined,
        );
        const depositor = await w.eventually(
          () => mine("depositor"),
          (ids) => own.every((id) => ids.includes(id)),
        );
        expect(depositor).toEqual(expect.arrayContaining(own));
        expect(depositor).not.toContain(request.id);
        const curator = await mine("curator");
        for (const id of [...own, request.id]) expect(curator).not.toContain(id);
        const asCurator = await w.clients.curator.requests.get(request.id);
        await asCurator.decline("cleaning up");
      },
    );

    /** `nrp publish record` of a new curated draft: the request it printed. */
    const submitWithCli = async (label: string): Promise<{ id: string; mid: string }> => {
      const data = metadata(w, `${word} ${label}`);
      const created = jsonOut(
        await w.nrp([
          "create",
          "record",
          w.target.model,
          JSON.stringify(data),
          ...depositFlags(w, "curated"),
          "--no-files",
          "--format",
          "json",
        ]),
      );
      const mid = `${w.target.model}/${String(created.id)}`;
      const request = jsonOut(await w.nrp(["publish", "record", mid, "--format", "json"]));
      expect(request.status, JSON.stringify(request).slice(0, 300)).toBe("submitted");
      expect(request.type).toBe(w.expects.reviewRequestType.value);
      return { id: String(request.id), mid };
    };

    step(
      "publish submits; comment, inbox, my requests, the record's requests, accept, timeline (CLI)",
      async () => {
        const { id, mid } = await submitWithCli("cli accepted");
        const comment = await w.nrp(["comment", "request", id, `${word} cli comment`]);
        expect(comment.code, comment.stderr).toBe(EXIT.ok);
        const inbox = await w.eventually(
          async () =>
            jsonIds(
              jsonOut(
                await w.nrp(["list", "requests", "--inbox", "--format", "json"], { as: "curator" }),
              ),
            ),
          (ids) => ids.includes(id),
        );
        expect(inbox).toContain(id);
        const mine = await w.eventually(
          async () =>
            jsonIds(jsonOut(await w.nrp(["list", "requests", "--mine", "--format", "json"]))),
          (ids) => ids.includes(id),
        );
        expect(mine).toContain(id);
        const onRecord = await w.eventually(
          async () =>
            jsonIds(jsonOut(await w.nrp(["list", "requests", mid, "--format", "json"])).requests),
          (ids) => ids.includes(id),
        );
        expect(onRecord).toContain(id);
        const accept = await w.nrp(["accept", "request", id, "fine"], { as: "curator" });
        expect(accept.code, accept.stderr).toBe(EXIT.ok);
        const timeline = await w.eventually(
          async () => w.nrp(["timeline", "request", id, "--format", "json"]),
          (r) => r.stdout.includes(`${word} cli comment`),
        );
        expect(timeline.code, timeline.stderr).toBe(EXIT.ok);
        expect(timeline.stdout).toContain(`${word} cli comment`);
        const record = jsonOut(await w.nrp(["get", "record", mid, "--format", "json"]));
        expect(mid).toBe(`${w.target.model}/${String(record.id)}`);
        const read = await w.clients.depositor.records.getById(w.target.model, String(record.id));
        expect(read.isPublished).toBe(true);
      },
    );

    step("the curator declines and the depositor cancels (CLI)", async () => {
      const declined = await submitWithCli("cli declined");
      const decline = await w.nrp(["decline", "request", declined.id, "no"], { as: "curator" });
      expect(decline.code, decline.stderr).toBe(EXIT.ok);
      const cancelled = await submitWithCli("cli cancelled");
      const cancel = await w.nrp(["cancel", "request", cancelled.id]);
      expect(cancel.code, cancel.stderr).toBe(EXIT.ok);
      for (const [id, status] of [
        [declined.id, "declined"],
        [cancelled.id, "cancelled"],
      ] as const) {
        const out = jsonOut(await w.nrp(["get", "request", id, "--format", "json"]));
        expect(out.status).toBe(status);
      }
    });
  });
}

function describeDeletion(w: World, step: Step): void {
  const rule = w.expects.publishedDeletion.value;
  describe(`deletion of published records (${w.expects.publishedDeletion.why})`, () => {
    let lib: NRPRecord;
    let cli: NRPRecord;

    beforeAll(async () => {
      lib = await publish(w, await deposit(w, titled(w, "deleted")));
      cli = await publish(w, await deposit(w, titled(w, "deleted cli")));
    });

    step(
      `the ${rule.deniedTo} may not delete it: a clear error, the record stays (library)`,
      async () => {
        const record = await w.clients[rule.deniedTo].records.getById(w.target.model, lib.id);
        const refused = await failure(record.delete({ removalReason: rule.reason }));
        expect(refused).toBeInstanceOf(NRPError);
        expect(refused).not.toBeInstanceOf(ReviewPendingError);
        expect((refused as Error).message).toMatch(
          /permission|not allowed|may not|cannot|administrator/i,
        );
        const still = await w.clients.depositor.records.getById(w.target.model, lib.id);
        expect(still.isPublished).toBe(true);
      },
    );

    step(`the ${rule.by} deletes it; then it answers 410 Gone (library)`, async () => {
      const record = await w.clients[rule.by].records.getById(w.target.model, lib.id);
      await settle(w, rule.reviewed, () => record.delete({ removalReason: rule.reason }));
      const gone = await failure(w.clients.depositor.records.getById(w.target.model, lib.id));
      expect(gone).toBeInstanceOf(GoneError);
    });

    step(`the ${rule.deniedTo} is refused and the ${rule.by} deletes (CLI)`, async () => {
      const argv = ["delete", "record", cli.mid, "--reason", rule.reason, "--yes"];
      expectClearRefusal(await w.nrp(argv, { as: rule.deniedTo }));
      await acceptPrinted(
        w,
        jsonOut(await w.nrp([...argv, "--format", "json"], { as: rule.by })),
        rule.reviewed,
      );
      const after = await w.nrp(["get", "record", cli.mid]);
      expect(after.code, after.stderr).toBe(EXIT.notFound);
    });
  });
}
