import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";
import { request } from "node:http";
import { bytes, filesDraft, putBytes } from "./files-helpers.js";

/** `depth` nested arrays around a number, as JSON text. */
function nested(depth: number): string {
  return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

/** The query string for `q` (spaces as `+`, keeping long queries under the header limit). */
function qs(q: string): string {
  return new URLSearchParams({ q }).toString();
}

/** A `q` of `n` terms joined with OR. */
function ors(n: number): string {
  return Array.from({ length: n }, (_, i) => `w${String(i)}`).join(" OR ");
}

describe("pathological input is a 400, and the server stays up", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  async function putMetadata(draft: string, inner: string) {
    return call(draft, {
      method: "PUT",
      token: owner(),
      headers: { "Content-Type": "application/json" },
      body: `{"metadata": {"title": "Deep", "extra": ${inner}}}`,
    });
  }

  test("a JSON body nested deeper than 100 levels is refused; 100 levels are accepted", async () => {
    const { draft } = await filesDraft(server());
    for (const depth of [99, 5_000, 200_000]) {
      const res = await putMetadata(draft, nested(depth));
      expect(res.status, String(depth)).toBe(400);
      expect(res.body.message).toBe("JSON data in request body is nested deeper than 100 levels.");
    }
    // The body object, `metadata` and `extra` are three levels: 97 arrays make 100.
    const ok = await putMetadata(draft, nested(97));
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
    const created = await call(`${server().url}/api/documents/`, {
      method: "POST",
      token: owner(),
      headers: { "Content-Type": "application/json" },
      body: `{"metadata": {"title": "x", "extra": ${nested(100_000)}}}`,
    });
    expect(created.status).toBe(400);
    expect((await call(`${server().url}/.well-known/nrp`)).status).not.toBe(500);
    expect((await call(draft, { token: owner() })).status).toBe(200);
  });

  test("a query of more than 1,024 clauses is a 400; up to 1,024 are searched", async () => {
    const search = `${server().url}/api/documents/`;
    const many = await call(`${search}?${qs(ors(1_100))}`);
    expect(many.status).toBe(400);
    expect(many.body.message).toContain("more than 1024 clauses");
    const mine = await call(`${server().url}/api/user/documents/?${qs(ors(1_100))}`, {
      token: owner(),
    });
    expect(mine.status).toBe(400);
    const limit = await call(`${search}?${qs(ors(1_024))}`);
    expect(limit.status, limit.text.slice(0, 300)).toBe(200);
    const and = await call(
      `${search}?${qs(Array.from({ length: 1_000 }, (_, i) => `w${String(i)}`).join(" AND "))}`,
    );
    expect(and.status, and.text.slice(0, 300)).toBe(200);
    const deep = await call(`${search}?${qs(`${"(".repeat(1_500)}a${")".repeat(1_500)}`)}`);
    expect([200, 400]).toContain(deep.status);
    expect((await call(`${search}?q=a`)).status).toBe(200);
  });

  test("a multipart file larger than the filesystem allows is a 400, and the server stays up", async () => {
    const { files } = await filesDraft(server());
    const res = await send("POST", files, {
      token: owner(),
      body: [
        { key: "huge.bin", size: 2 ** 52, transfer: { type: "M", parts: 2, part_size: 2 ** 51 } },
      ],
    });
    expect(res.status, res.text.slice(0, 300)).toBe(400);
    expect(res.body).toEqual({ status: 400, message: "Maximum file size exceeded." });
    const list = await call(files, { token: owner() });
    expect(list.status).toBe(200);
    expect(list.body.entries).toEqual([]);
  });
});

describe("a configured maximum file size is a 400 with files-rest's message", () => {
  const limit = 1000;
  const server = useServer({ config: { maxFileSize: limit } });
  const owner = (): string => server().tokens.owner;
  const tooLarge = { status: 400, message: "Maximum file size exceeded." };

  test("a multipart init beyond the limit is refused; one at the limit is accepted", async () => {
    const { files } = await filesDraft(server());
    const over = await send("POST", files, {
      token: owner(),
      body: [
        { key: "over.bin", size: limit + 1, transfer: { type: "M", parts: 2, part_size: 501 } },
      ],
    });
    expect(over.status).toBe(400);
    expect(over.body).toEqual(tooLarge);
    const at = await send("POST", files, {
      token: owner(),
      body: [{ key: "at.bin", size: limit, transfer: { type: "M", parts: 2, part_size: 500 } }],
    });
    expect(at.status).toBe(201);
    expect(at.body.entries.map((e: { key: string }) => e.key)).toEqual(["at.bin"]);
  });

  test("an upload announcing more than the limit is refused before its body is read", async () => {
    const { files } = await filesDraft(server());
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key: "big.bin", size: 2000 }],
    });
    expect(init.status).toBe(201);
    const put = await putBytes(`${files}/big.bin/content`, owner(), bytes(2000));
    expect(put.status).toBe(400);
    expect(put.body).toEqual(tooLarge);
    expect((await call(`${files}/big.bin`, { token: owner() })).body.status).toBe("pending");
  });

  test("a chunked upload growing past the limit is cut with a 400; the limit itself fits", async () => {
    const { files } = await filesDraft(server());
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key: "grow.bin" }, { key: "fits.bin" }],
    });
    expect(init.status).toBe(201);
    const chunked = (size: number): ReadableStream<Uint8Array> =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(bytes(size));
          controller.close();
        },
      });
    const put = (key: string, size: number) =>
      call(`${files}/${key}/content`, {
        method: "PUT",
        token: owner(),
        headers: { "Content-Type": "application/octet-stream" },
        body: chunked(size),
        duplex: "half",
      });
    const grown = await put("grow.bin", limit + 1);
    expect(grown.status).toBe(400);
    expect(grown.body).toEqual(tooLarge);
    const fits = await put("fits.bin", limit);
    expect(fits.status).toBe(200);
    const commit = await send("POST", `${files}/fits.bin/commit`, { token: owner() });
    expect(commit.status).toBe(200);
    expect(commit.body.size).toBe(limit);
  });
});

describe("a file larger than the data directory's free space is a 400", () => {
  const server = useServer({ config: { maxFileSize: Number.MAX_SAFE_INTEGER } });
  const owner = (): string => server().tokens.owner;

  test("a multipart init or an upload declaring more bytes than the disk has free", async () => {
    const { files } = await filesDraft(server());
    const size = 2 ** 52;
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key: "huge.bin", size, transfer: { type: "M", parts: 2, part_size: 2 ** 51 } }],
    });
    expect(init.status, init.text.slice(0, 300)).toBe(400);
    expect(init.body.message).toMatch(
      /^Not enough free space: a file of 4503599627370496 bytes does not fit on the data directory's filesystem \(\d+ bytes free\)\.$/,
    );
    const l = await send("POST", files, { token: owner(), body: [{ key: "l.bin", size }] });
    expect(l.status).toBe(201);
    const raw = await rawPut(new URL(`${files}/l.bin/content`), owner(), size);
    expect(raw.status).toBe(400);
    expect(raw.message).toMatch(/^Not enough free space: a file of 4503599627370496 bytes/);
    expect((await call(files, { token: owner() })).status).toBe(200);
  });
});

/** A PUT announcing `length` bytes that sends none: the answer must come from the headers alone. */
function rawPut(
  url: URL,
  token: string,
  length: number,
): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "PUT",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/octet-stream",
        "Content-Length": String(length),
      },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { message: string };
        resolve({ status: res.statusCode ?? 0, message: body.message });
        req.destroy();
      });
    });
    req.flushHeaders();
  });
}
