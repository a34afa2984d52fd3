import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";
import { bytes, contentMd5, filesDraft, md5, putBytes, uploadL } from "./files-helpers.js";

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("local (L) uploads", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  test("init, content, commit: pending → completed with md5, size, mimetype and links", async () => {
    const { files } = await filesDraft(server());
    const data = Buffer.from("Hello world!");
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key: "blah.txt", metadata: { title: "blah" }, transfer: {}, size: 12 }],
    });
    expect(init.status).toBe(201);
    expect(init.body).toMatchObject({
      enabled: true,
      links: { self: files },
      default_preview: null,
      order: [],
    });
    const [entry] = init.body.entries;
    const self = `${files}/blah.txt`;
    expect(entry).toMatchObject({
      key: "blah.txt",
      metadata: { title: "blah" },
      status: "pending",
      size: 12,
      transfer: { type: "L" },
      links: { self, content: `${self}/content`, commit: `${self}/commit` },
    });
    expect(entry.checksum).toBeUndefined();
    expect(entry.created).toMatch(TIMESTAMP);

    const put = await putBytes(`${self}/content`, owner(), data, {
      "Content-MD5": contentMd5(data),
    });
    expect(put.status).toBe(200);
    expect(put.body.status).toBe("pending");

    const commit = await send("POST", `${self}/commit`, { token: owner(), body: {} });
    expect(commit.status).toBe(200);
    expect(commit.body).toMatchObject({
      key: "blah.txt",
      status: "completed",
      checksum: "md5:86fb269d190d2c85f6e0468ceca42a20",
      size: 12,
      mimetype: "text/plain",
      storage_class: "L",
      transfer: { type: "L" },
    });
    expect(commit.body.file_id).toMatch(UUID);
    expect(commit.body.version_id).toMatch(UUID);
    expect(commit.body.bucket_id).toMatch(UUID);

    const again = await send("POST", `${self}/commit`, { token: owner() });
    expect(again.status).toBe(200);
    expect(again.body.checksum).toBe(commit.body.checksum);

    const read = await call(self, { token: owner() });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(commit.body);

    const content = await call(`${self}/content`, { token: owner() });
    expect(content.status).toBe(200);
    expect(content.text).toBe("Hello world!");
  });

  test("sizes 0 and 1 round-trip", async () => {
    const { files } = await filesDraft(server());
    const empty = await uploadL(server(), files, "empty.bin", new Uint8Array(0));
    expect(empty.body).toMatchObject({
      size: 0,
      checksum: "md5:d41d8cd98f00b204e9800998ecf8427e",
    });
    const one = await uploadL(server(), files, "one.bin", Buffer.from([42]));
    expect(one.body).toMatchObject({ size: 1, checksum: md5(Buffer.from([42])) });
    const got = await fetch(`${files}/empty.bin/content`, {
      headers: { Authorization: `Bearer ${owner()}` },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-length")).toBe("0");
    expect((await got.arrayBuffer()).byteLength).toBe(0);
    // Ranges on a draft's content: an empty file ignores them (as Werkzeug does: 200, no body);
    // the 1 byte is served as a range.
    const auth = { Authorization: `Bearer ${owner()}` };
    for (const range of ["bytes=0-", "bytes=0-0", "bytes=-1"]) {
      const none = await fetch(`${files}/empty.bin/content`, {
        headers: { ...auth, Range: range },
      });
      expect(none.status, range).toBe(200);
      expect(none.headers.get("content-range")).toBeNull();
      expect(none.headers.get("content-length")).toBe("0");
      expect((await none.arrayBuffer()).byteLength).toBe(0);
    }
    const first = await fetch(`${files}/one.bin/content`, {
      headers: { ...auth, Range: "bytes=0-0" },
    });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe("bytes 0-0/1");
    expect([...new Uint8Array(await first.arrayBuffer())]).toEqual([42]);
  });

  test("keys with spaces, unicode and slashes are encoded in links and decoded in routes", async () => {
    const { files } = await filesDraft(server());
    const key = "dir/sub dir/příliš.csv";
    const res = await uploadL(server(), files, key, Buffer.from("a,b\n"));
    expect(res.body.key).toBe(key);
    expect(res.body.mimetype).toBe("text/csv");
    expect(res.body.links.self).toBe(`${files}/${encodeURIComponent(key)}`);
    const got = await call(res.body.links.content as string, { token: owner() });
    expect(got.text).toBe("a,b\n");
    expect(got.headers.get("content-disposition")).toBe(
      `inline; filename="p__li_.csv"; filename*=UTF-8''${encodeURIComponent("příliš.csv")}`,
    );
  });

  test("a chunked body of unknown size (no size at init, no Content-Length) is accepted", async () => {
    const { files } = await filesDraft(server());
    await send("POST", files, { token: owner(), body: [{ key: "stream.bin" }] });
    const data = bytes(100_000, 21);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < data.length; i += 30_000)
          controller.enqueue(data.subarray(i, i + 30_000));
        controller.close();
      },
    });
    const res = await fetch(`${files}/stream.bin/content`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${owner()}`, "Content-Type": "application/octet-stream" },
      body,
      duplex: "half",
    });
    expect(res.status).toBe(200);
    const log = server().requestLog.at(-1);
    expect(log?.headers["transfer-encoding"]).toBe("chunked");
    const commit = await send("POST", `${files}/stream.bin/commit`, { token: owner() });
    expect(commit.body).toMatchObject({ size: 100_000, checksum: md5(data) });
  });

  test("a re-sent PUT before the commit replaces the content", async () => {
    const { files } = await filesDraft(server());
    await send("POST", files, { token: owner(), body: [{ key: "r.txt" }] });
    await putBytes(`${files}/r.txt/content`, owner(), Buffer.from("first"));
    await putBytes(`${files}/r.txt/content`, owner(), Buffer.from("second!"));
    const commit = await send("POST", `${files}/r.txt/commit`, { token: owner() });
    expect(commit.body).toMatchObject({ size: 7, checksum: md5(Buffer.from("second!")) });
  });

  test("list, metadata update, delete one, delete all", async () => {
    const { files } = await filesDraft(server());
    await uploadL(server(), files, "a.txt", Buffer.from("a"), { title: "A" });
    await uploadL(server(), files, "b.txt", Buffer.from("b"));
    const list = await call(files, { token: owner() });
    expect(list.body.entries.map((e: { key: string }) => e.key)).toEqual(["a.txt", "b.txt"]);

    const update = await send("PUT", `${files}/a.txt`, {
      token: owner(),
      body: { metadata: { title: "New title" } },
    });
    expect(update.status).toBe(200);
    expect(update.body.metadata).toEqual({ title: "New title" });
    const bare = await send("PUT", `${files}/a.txt`, {
      token: owner(),
      body: { title: "bare" },
    });
    expect(bare.status).toBe(400);
    expect(bare.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "title", messages: ["Unknown field."] }],
    });

    const del = await call(`${files}/a.txt`, { method: "DELETE", token: owner() });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    const gone = await call(`${files}/a.txt`, { token: owner() });
    expect(gone.status).toBe(404);
    const all = await call(files, { method: "DELETE", token: owner() });
    expect(all.status).toBe(204);
    expect((await call(files, { token: owner() })).body.entries).toEqual([]);
  });

  test("files disabled: list without entries, init 403", async () => {
    const { files } = await filesDraft(server(), { enabled: false });
    const list = await call(files, { token: owner() });
    expect(list.body).toEqual({ enabled: false, links: { self: files } });
    const init = await send("POST", files, { token: owner(), body: [{ key: "x" }] });
    expect(init.status).toBe(403);
    expect(init.body).toEqual({ status: 403, message: "Files are not enabled." });
  });

  test("files.enabled toggled on a draft: off → on lets files in, empty again → off refuses them", async () => {
    const { files, draft } = await filesDraft(server(), { enabled: false });
    const toggle = (enabled: boolean) =>
      send("PUT", draft, {
        token: owner(),
        body: { metadata: { title: "With files" }, files: { enabled } },
      });
    const on = await toggle(true);
    expect(on.status).toBe(200);
    expect(on.body.files).toEqual({ enabled: true });
    expect((await call(files, { token: owner() })).body).toMatchObject({
      enabled: true,
      entries: [],
    });
    const data = bytes(3000, 6);
    const committed = await uploadL(server(), files, "t.bin", data);
    expect(committed.body.checksum).toBe(md5(data));
    const got = await fetch(`${files}/t.bin/content`, {
      headers: { Authorization: `Bearer ${owner()}` },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
    // Still on while the file exists (covered below); once it is deleted, files can be turned off.
    expect((await call(`${files}/t.bin`, { method: "DELETE", token: owner() })).status).toBe(204);
    const off = await toggle(false);
    expect(off.status).toBe(200);
    expect(off.body.files).toEqual({ enabled: false });
    expect(off.body.errors).toBeUndefined();
    expect((await call(files, { token: owner() })).body).toEqual({
      enabled: false,
      links: { self: files },
    });
    const refused = await send("POST", files, { token: owner(), body: [{ key: "late.bin" }] });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ status: 403, message: "Files are not enabled." });
    // The toggle is persisted, not only echoed.
    expect((await call(draft, { token: owner() })).body.files).toEqual({ enabled: false });
  });
});

describe("file errors", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  test("a key of more than 1024 characters, '.' or '..' is refused and nothing is stored", async () => {
    const { files } = await filesDraft(server());
    const post = (key: string) => send("POST", files, { token: owner(), body: [{ key }] });
    for (const key of ["k".repeat(1025), "é".repeat(1025), "😀".repeat(1025)]) {
      const res = await post(key);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        status: 400,
        message: "A validation error occurred.",
        errors: [{ field: "0.key", messages: ["Length must be between 1 and 1024."] }],
      });
    }
    for (const key of [".", ".."]) {
      expect((await post(key)).body).toEqual({
        status: 400,
        message: "A validation error occurred.",
        errors: [{ field: "0.key", messages: ["A file key cannot be '.' or '..'."] }],
      });
    }
    expect((await call(files, { token: owner() })).body.entries).toEqual([]);
    // 1024 characters (a code point each, even outside the BMP) is still a key; so is "...".
    expect((await post("😀".repeat(1024))).status).toBe(201);
    expect((await post("...")).status).toBe(201);
  });

  test("init validation with Invenio's messages", async () => {
    const { id, files } = await filesDraft(server());
    const post = (body: unknown) => send("POST", files, { token: owner(), body });
    expect((await post({ key: "x" })).body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "0._schema", messages: ["Invalid input type."] }],
    });
    expect((await post([])).body.errors).toEqual([
      { field: "_schema", messages: ["No files to upload."] },
    ]);
    expect((await post([{ key: "x", transfer: "L" }])).body.errors).toEqual([
      { field: "transfer", messages: ["Transfer metadata must be a dictionary."] },
    ]);
    expect((await post([{ key: "x", title: "t" }])).body.errors).toEqual([
      { field: "0.title", messages: ["Unknown field."] },
    ]);
    expect((await post([{ metadata: {} }])).body.errors).toEqual([
      { field: "0.key", messages: ["Missing data for required field."] },
    ]);
    expect((await post([{ key: "x", size: "big" }])).body.errors).toEqual([
      { field: "0.size", messages: ["Not a valid integer."] },
    ]);
    expect((await post([{ key: "x", metadata: [] }])).body.errors).toEqual([
      { field: "0.metadata", messages: ["Not a valid mapping type."] },
    ]);
    expect(
      (await post([{ key: "x", transfer: { type: "F", url: "https://x" } }])).body.errors,
    ).toEqual([{ field: "0.transfer.type", messages: ["Unsupported value: F"] }]);
    expect((await post([{ key: "dup" }])).status).toBe(201);
    expect((await post([{ key: "dup" }])).body).toEqual({
      status: 400,
      message: "File with key dup already exists.",
    });
    expect((await post([{ key: "twice" }, { key: "twice" }])).body.message).toBe(
      "File with key twice already exists.",
    );
    const many = Array.from({ length: 100 }, (_, i) => ({ key: `f${i}` }));
    expect((await post(many)).body).toEqual({
      status: 400,
      message: "Uploading selected files will result in exceeding the max amount per record.",
    });
    const missing = await call(`${files}/nope.txt`, { token: owner() });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      status: 404,
      message: `Record '${id}' has no file 'nope.txt'.`,
    });
  });

  test("permissions: anonymous and other users get 403", async () => {
    const { files } = await filesDraft(server());
    expect((await call(files)).status).toBe(403);
    const other = await send("POST", files, {
      token: server().tokens.depositor,
      body: [{ key: "x" }],
    });
    expect(other.status).toBe(403);
    expect(other.body.message).toBe("Permission denied.");
  });

  test("content errors: size mismatch, Content-MD5, committed, multipart, not committed", async () => {
    const { files } = await filesDraft(server());
    await send("POST", files, { token: owner(), body: [{ key: "a.txt", size: 5 }] });
    const content = `${files}/a.txt/content`;
    const short = await putBytes(content, owner(), Buffer.from("abc"));
    expect(short.status).toBe(400);
    expect(short.body.message).toBe("Content-Length does not match file size.");
    const bad = await putBytes(content, owner(), Buffer.from("hello"), {
      "Content-MD5": contentMd5(Buffer.from("HELLO")),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("The Content-MD5 you specified did not match what we received.");
    const invalid = await putBytes(content, owner(), Buffer.from("hello"), {
      "Content-MD5": "nonsense",
    });
    expect(invalid.body.message).toBe("The Content-MD5 you specified was invalid.");
    const notYet = await call(content, { token: owner() });
    expect(notYet.status).toBe(404);
    const commitEmpty = await send("POST", `${files}/a.txt/commit`, { token: owner() });
    expect(commitEmpty.status).toBe(400);
    expect(commitEmpty.body.message).toBe('File with key "a.txt" has no content yet.');

    expect((await putBytes(content, owner(), Buffer.from("hello"))).status).toBe(200);
    expect((await send("POST", `${files}/a.txt/commit`, { token: owner() })).status).toBe(200);
    const again = await putBytes(content, owner(), Buffer.from("hello"));
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('File with key "a.txt" is already committed.');
  });

  test("files of published records are read-only (405) and publish copies them", async () => {
    const { id, files, draft } = await filesDraft(server());
    await uploadL(server(), files, "data.txt", Buffer.from("published"));
    const pub = await send("POST", `${draft}/actions/publish`, { token: owner() });
    expect(pub.status).toBe(202);
    const recordFiles = `${server().url}/api/documents/${id}/files`;
    const list = await call(recordFiles);
    expect(list.status).toBe(200);
    const [entry] = list.body.entries;
    expect(entry).toMatchObject({ key: "data.txt", status: "completed", size: 9 });
    expect(entry.links).toEqual({
      self: `${recordFiles}/data.txt`,
      content: `${recordFiles}/data.txt/content`,
      // oarepo-runtime links the UI preview page of a record's file.
      preview: `${recordFiles.replace("/api/", "/").replace(/\/files$/, "")}/files/data.txt/preview`,
    });
    expect(entry.access).toEqual({ hidden: false });
    expect((await call(`${recordFiles}/data.txt/content`)).text).toBe("published");
    for (const [method, url] of [
      ["POST", recordFiles],
      ["DELETE", recordFiles],
      ["PUT", `${recordFiles}/data.txt`],
      ["DELETE", `${recordFiles}/data.txt`],
      ["PUT", `${recordFiles}/data.txt/content`],
      ["POST", `${recordFiles}/data.txt/commit`],
    ] as const) {
      const res = await call(url, { method, token: owner() });
      expect(res.status, `${method} ${url}`).toBe(405);
    }
    // The draft is gone; its files live on the record only.
    expect((await call(files, { token: owner() })).status).toBe(404);
  });

  test("publish refuses files enabled with no files, and pending files", async () => {
    const { files, draft } = await filesDraft(server());
    const empty = await send("POST", `${draft}/actions/publish`, { token: owner() });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([
      {
        field: "files.enabled",
        messages: ["Missing uploaded files."],
      },
    ]);
    await send("POST", files, { token: owner(), body: [{ key: "p.txt" }] });
    const pending = await send("POST", `${draft}/actions/publish`, { token: owner() });
    expect(pending.status).toBe(400);
    expect(pending.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [
        {
          field: "files",
          messages: ["One or more files have not completed their transfer, please wait."],
        },
      ],
    });
  });

  test("a draft update cannot disable files while some exist; empty enabled drafts are reported", async () => {
    const { files, draft } = await filesDraft(server());
    const body = (enabled: boolean) => ({
      metadata: { title: "With files" },
      files: { enabled },
    });
    const empty = await send("PUT", draft, { token: owner(), body: body(true) });
    expect(empty.body.errors).toEqual([
      {
        field: "files.enabled",
        messages: ["Missing uploaded files."],
      },
    ]);
    await uploadL(server(), files, "k.txt", Buffer.from("k"));
    const ok = await send("PUT", draft, { token: owner(), body: body(true) });
    expect(ok.body.errors).toBeUndefined();
    const off = await send("PUT", draft, { token: owner(), body: body(false) });
    expect(off.status).toBe(200);
    expect(off.body.files).toEqual({ enabled: true });
    expect(off.body.errors).toEqual([
      {
        field: "files.enabled",
        messages: ["You must first delete all files to set the record to be metadata-only."],
      },
    ]);
  });

  test("edit drafts keep the published files; new versions start empty and import them", async () => {
    const { id, files, draft } = await filesDraft(server());
    const data = bytes(1000);
    await uploadL(server(), files, "keep.bin", data);
    expect((await send("POST", `${draft}/actions/publish`, { token: owner() })).status).toBe(202);
    const api = `${server().url}/api/documents/${id}`;

    const edit = await send("POST", `${api}/draft`, { token: owner() });
    expect(edit.status).toBe(201);
    const editFiles = await call(`${api}/draft/files`, { token: owner() });
    expect(editFiles.body.entries.map((e: { key: string }) => e.key)).toEqual(["keep.bin"]);
    // Deleting the file in the edit draft leaves the record's copy alone until publish.
    expect(
      (await call(`${api}/draft/files/keep.bin`, { method: "DELETE", token: owner() })).status,
    ).toBe(204);
    expect((await call(`${api}/files/keep.bin/content`)).status).toBe(200);
    await uploadL(server(), `${api}/draft/files`, "new.bin", Buffer.from("new"));
    expect((await send("POST", `${api}/draft/actions/publish`, { token: owner() })).status).toBe(
      202,
    );
    const afterEdit = await call(`${api}/files`);
    expect(afterEdit.body.entries.map((e: { key: string }) => e.key)).toEqual(["new.bin"]);
    expect((await call(`${api}/files/keep.bin/content`)).status).toBe(404);

    const version = await send("POST", `${api}/versions`, { token: owner() });
    expect(version.status).toBe(201);
    const v2 = `${server().url}/api/documents/${version.body.id}/draft`;
    expect((await call(`${v2}/files`, { token: owner() })).body.entries).toEqual([]);
    const imported = await send("POST", `${v2}/actions/files-import`, { token: owner() });
    expect(imported.status).toBe(201);
    expect(imported.body.entries.map((e: { key: string }) => e.key)).toEqual(["new.bin"]);
    expect(imported.body.entries[0].links.self).toBe(`${v2}/files/new.bin`);
    expect((await call(`${v2}/files/new.bin/content`, { token: owner() })).text).toBe("new");
    const twice = await send("POST", `${v2}/actions/files-import`, { token: owner() });
    expect(twice.status).toBe(400);
    expect(twice.body.errors).toEqual([
      { field: "files.enabled", messages: ["Please remove all files first."] },
    ]);
  });

  test("files-import on a first draft has no record to import from", async () => {
    const { draft } = await filesDraft(server());
    const res = await send("POST", `${draft}/actions/files-import`, { token: owner() });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: "files.enabled", messages: ["The record has no files."] },
    ]);
  });

  test("deleting a draft removes its files", async () => {
    const { files, draft } = await filesDraft(server());
    await uploadL(server(), files, "x.bin", bytes(10));
    expect((await call(draft, { method: "DELETE", token: owner() })).status).toBe(204);
    expect((await call(files, { token: owner() })).status).toBe(404);
  });
});

describe("files in the rdm flavour", () => {
  const server = useServer({ flavour: "rdm" });

  test("records carry their files as entries keyed by name, with count and total_bytes", async () => {
    const token = server().tokens.owner;
    const created = await send("POST", `${server().url}/api/records`, {
      token,
      body: { metadata: { title: "RDM files" }, files: { enabled: true } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const files = `${server().url}/api/records/${id}/draft/files`;
    expect(created.body.links.files).toBe(files);
    await uploadL(server(), files, "a.txt", Buffer.from("abc"));
    const draft = await call(`${server().url}/api/records/${id}/draft`, { token });
    // RDM 13's record file entries (recorded `draft-update`, `publish`, `record-get`): no
    // transfer status; links only when the published record is read.
    expect(draft.body.files).toMatchObject({
      enabled: true,
      count: 1,
      total_bytes: 3,
      entries: {
        "a.txt": {
          key: "a.txt",
          size: 3,
          ext: "txt",
          checksum: md5(Buffer.from("abc")),
          mimetype: "text/plain",
          storage_class: "L",
          metadata: {},
          access: { hidden: false },
        },
      },
    });
    expect(draft.body.files.entries["a.txt"].status).toBeUndefined();
    const pub = await send("POST", `${server().url}/api/records/${id}/draft/actions/publish`, {
      token,
    });
    expect(pub.status).toBe(202);
    expect(pub.body.files.entries["a.txt"].links).toBeUndefined();
    const record = await call(`${server().url}/api/records/${id}`);
    expect(record.body.files.entries["a.txt"].links).toEqual({
      self: `${server().url}/api/records/${id}/files/a.txt`,
      content: `${server().url}/api/records/${id}/files/a.txt/content`,
    });
    expect((await call(`${server().url}/api/records/${id}/files/a.txt/content`)).text).toBe("abc");
  });
  test("file items as RDM 13 shows them: metadata null until read back after the commit, access, no file object for a pending L file", async () => {
    const token = server().tokens.owner;
    const created = await send("POST", `${server().url}/api/records`, {
      token,
      body: { metadata: { title: "RDM file items" }, files: { enabled: true } },
    });
    const files = `${server().url}/api/records/${created.body.id as string}/draft/files`;
    const init = await send("POST", files, { token, body: [{ key: "a.txt" }] });
    expect(init.status).toBe(201);
    expect(init.body.links).toEqual({
      self: files,
      archive: files.replace(/\/files$/, "/files-archive"),
    });
    const pending = init.body.entries[0];
    expect(pending).toMatchObject({ key: "a.txt", metadata: null, access: { hidden: false } });
    for (const absent of ["bucket_id", "file_id", "version_id", "mimetype", "checksum", "size"]) {
      expect(pending[absent], absent).toBeUndefined();
    }
    const put = await putBytes(`${files}/a.txt/content`, token, Buffer.from("abc"));
    expect(put.body).toMatchObject({ metadata: null, status: "pending" });
    expect(put.body.bucket_id).toBeUndefined();
    const commit = await send("POST", `${files}/a.txt/commit`, { token });
    expect(commit.body).toMatchObject({
      metadata: null,
      status: "completed",
      storage_class: "L",
      checksum: md5(Buffer.from("abc")),
    });
    expect(commit.body.bucket_id).toEqual(expect.any(String));
    expect((await call(`${files}/a.txt`, { token })).body.metadata).toEqual({});
    const given = await send("POST", files, {
      token,
      body: [{ key: "b.txt", metadata: { description: "kept" } }],
    });
    expect(given.body.entries[1].metadata).toEqual({ description: "kept" });
  });

  test("a pending multipart item has its file object (checksum null) and no per-part progress; committed it is L", async () => {
    const token = server().tokens.owner;
    const created = await send("POST", `${server().url}/api/records`, {
      token,
      body: { metadata: { title: "RDM multipart" }, files: { enabled: true } },
    });
    const files = `${server().url}/api/records/${created.body.id as string}/draft/files`;
    const init = await send("POST", files, {
      token,
      body: [{ key: "m.bin", size: 6, transfer: { type: "M", parts: 2, part_size: 3 } }],
    });
    expect(init.body.entries[0]).toMatchObject({
      metadata: null,
      checksum: null,
      size: 6,
      storage_class: "L",
      mimetype: "application/octet-stream",
      transfer: { type: "M", parts: 2, part_size: 3 },
      status: "pending",
    });
    expect(init.body.entries[0].file_id).toEqual(expect.any(String));
    const part = await putBytes(`${files}/m.bin/content/1`, token, Buffer.from("abc"));
    expect(part.status).toBe(200);
    expect(part.body.checksum).toBeNull();
    expect(Object.keys(part.body).sort()).toEqual(Object.keys(init.body.entries[0]).sort());
    expect(part.body.links.parts).toHaveLength(2);
    await putBytes(`${files}/m.bin/content/2`, token, Buffer.from("def"));
    const commit = await send("POST", `${files}/m.bin/commit`, { token });
    expect(commit.body).toMatchObject({
      status: "completed",
      transfer: { type: "L" },
      checksum: md5(Buffer.from("abcdef")),
    });
    expect(commit.body.links.parts).toBeUndefined();
  });
});
