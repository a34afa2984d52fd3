import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";
import { filesDraft } from "./files-helpers.js";

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

  test("a multipart file larger than the filesystem allows is no 500", async () => {
    const { files } = await filesDraft(server());
    const res = await send("POST", files, {
      token: owner(),
      body: [
        { key: "huge.bin", size: 2 ** 52, transfer: { type: "M", parts: 2, part_size: 2 ** 51 } },
      ],
    });
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    const part = await call(`${files}/huge.bin/content/1`, {
      method: "PUT",
      token: owner(),
      headers: { "Content-Type": "application/octet-stream" },
      body: Buffer.alloc(10),
    });
    expect(part.status).toBe(400);
    expect((await call(files, { token: owner() })).status).toBe(200);
  });
});
