// The shape of the public API a first hour meets: typed metadata, `await using`, uploads without
// loadFiles() and with metadata as an option, records.search, readable timeline event kinds.
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { NRPInvenioClient, ReviewPendingError, timelineEventKind } from "nrp-invenio-client";
import type {
  Json,
  NRPRecord,
  NRPSearchResponse,
  TimelineEvent,
  TimelineEventKind,
} from "nrp-invenio-client";
import { Fixtures } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

/** What a caller declares the documents' metadata to be. */
interface DocumentMetadata {
  title: string;
  pages?: string;
}

describe("metadata type parameter", () => {
  it("types metadata as declared on get, create, scan and what publish returns", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server, { token: server.tokens.owner });

    const draft = await client.records.create<DocumentMetadata>(
      "documents",
      { title: "Typed" },
      { filesEnabled: false },
    );
    expectTypeOf(draft).toEqualTypeOf<NRPRecord<DocumentMetadata>>();
    expectTypeOf(draft.metadata).toEqualTypeOf<DocumentMetadata>();
    expect(draft.metadata.title).toBe("Typed");

    const read = await client.records.get<DocumentMetadata>(draft.mid);
    expectTypeOf(read.metadata.title).toBeString();
    expect(read.metadata.title).toBe("Typed");
    expectTypeOf<Awaited<ReturnType<typeof read.publish>>>().toEqualTypeOf<
      NRPRecord<DocumentMetadata>
    >();
    expectTypeOf<Awaited<ReturnType<typeof read.edit>>>().toEqualTypeOf<
      NRPRecord<DocumentMetadata>
    >();

    await draft.publish();
    const titles: string[] = [];
    for await (const record of client.searchRequest("documents").scan<DocumentMetadata>()) {
      expectTypeOf(record).toEqualTypeOf<NRPRecord<DocumentMetadata>>();
      titles.push(record.metadata.title);
    }
    expect(titles).toEqual(["Typed"]);
  });

  it("keeps the open JSON object when no type is given, and never infers one from the data", () => {
    expectTypeOf<NRPRecord["metadata"]>().toEqualTypeOf<Json>();
    // Only compiled: the type checker runs it, the test runner never calls it.
    const untyped = (records: NRPInvenioClient["records"]): void => {
      expectTypeOf(records.create("documents", { pages: "3" })).resolves.toEqualTypeOf<NRPRecord>();
      expectTypeOf(records.get("documents/x")).resolves.toEqualTypeOf<NRPRecord>();
    };
    expect(typeof untyped).toBe("function");
  });
});

describe("await using", () => {
  it("closes the client at the end of the block", async () => {
    const server = await fx.devserver();
    const close = vi.spyOn(NRPInvenioClient.prototype, "close");
    try {
      {
        await using client = new NRPInvenioClient({ serverUrl: server.url });
        expect((await client.info.repository()).transfers).toContain("L");
        expect(close).not.toHaveBeenCalled();
      }
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      close.mockRestore();
    }
  });
});

describe("uploads", () => {
  it("draft.upload() loads the file list itself and takes the metadata as an option", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server, { token: server.tokens.owner });
    const created = await client.records.create("documents", { title: "Files" });
    const draft = await client.records.get(created.mid);
    expect(draft.files).toBeUndefined();
    const file = await draft.upload("a.txt", new TextEncoder().encode("hello"), {
      metadata: { title: "Greeting" },
    });
    expect(file.status).toBe("completed");
    expect(file.metadata).toEqual({ title: "Greeting" });
    expect(draft.files?.get("a.txt")?.metadata).toEqual({ title: "Greeting" });

    // The options form and the older positional form side by side on the same list.
    const files = await draft.loadFiles();
    const plain = await files.create("b.txt", new TextEncoder().encode("b"));
    expect(plain.metadata).toEqual({});
    const legacy = await files.create("c.txt", { title: "C" }, new TextEncoder().encode("c"));
    expect(legacy.metadata).toEqual({ title: "C" });
    expect((await draft.loadFiles()).get("c.txt")?.metadata).toEqual({ title: "C" });
  });
});

describe("client.records.search", () => {
  it("returns the page client.search returns", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server, { token: server.tokens.owner });
    const draft = await client.records.create(
      "documents",
      { title: "Searchable" },
      { filesEnabled: false },
    );
    await draft.publish();
    const page = await client.records.search("documents", { query: "Searchable" });
    expectTypeOf(page).toEqualTypeOf<NRPSearchResponse>();
    expect(page.total).toBe(1);
    expect(page.records.map((r) => r.metadata.title)).toEqual(["Searchable"]);
    expect(page.toDict()).toEqual(
      (await client.search("documents", { query: "Searchable" })).toDict(),
    );
  });
});

describe("timeline event kinds", () => {
  it.each([
    ["C", "comment"],
    ["L", "log"],
    ["E", "escalation"],
    ["S", "record_snapshot"],
    ["D", "topic_delete"],
    ["T", "topic_update"],
    ["comment", "comment"],
    ["X", "other"],
    [undefined, "other"],
  ] as const)("%s is %s", (type, kind) => {
    expect(timelineEventKind(type)).toBe(kind);
  });

  it("each event of a request's timeline carries its readable kind", async () => {
    const server = await fx.devserver();
    const owner = fx.client(server, { token: server.tokens.owner }).client;
    const curator = fx.client(server, { token: server.tokens.curator }).client;
    const draft = await owner.records.create(
      "datasets",
      { title: "Reviewed" },
      { community: "physics", filesEnabled: false },
    );
    const error = await draft.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReviewPendingError);
    const request = (error as ReviewPendingError).request;
    await request.comment("Please have a look");
    await (await curator.requests.get(request.id)).accept();
    const events = await request.timeline();
    expectTypeOf(events).toEqualTypeOf<TimelineEvent[]>();
    expectTypeOf(events[0]?.kind).toEqualTypeOf<TimelineEventKind | undefined>();
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain("comment");
    expect(kinds).toContain("log");
    for (const event of events) expect(event.kind).toBe(timelineEventKind(event.type));
  });
});
