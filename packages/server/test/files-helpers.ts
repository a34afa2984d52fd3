import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { DevServer } from "nrp-invenio-devserver";
import { call, send, type CallResult } from "./helpers.js";

/** md5 of bytes as the server reports it. */
export function md5(bytes: Uint8Array): string {
  return `md5:${createHash("md5").update(bytes).digest("hex")}`;
}

/** base64 md5, as a `Content-MD5` header carries it. */
export function contentMd5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("base64");
}

/** Deterministic bytes, different at every offset of a part. */
export function bytes(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A draft of `documents` (direct publishing) with files enabled; returns its id and files URL. */
export async function filesDraft(
  server: DevServer,
  options: { enabled?: boolean } = {},
): Promise<{ id: string; files: string; draft: string }> {
  const res = await send("POST", `${server.url}/api/documents/`, {
    token: server.tokens.owner,
    body: { metadata: { title: "With files" }, files: { enabled: options.enabled ?? true } },
  });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  return {
    id,
    files: `${server.url}/api/documents/${id}/draft/files`,
    draft: `${server.url}/api/documents/${id}/draft`,
  };
}

/** PUTs raw bytes. */
export function putBytes(
  url: string,
  token: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<CallResult> {
  return call(url, {
    method: "PUT",
    token,
    headers: { "Content-Type": "application/octet-stream", ...headers },
    body,
  });
}

/** init + content + commit of an L file; returns the committed item. */
export async function uploadL(
  server: DevServer,
  files: string,
  key: string,
  content: Uint8Array,
  metadata: Record<string, unknown> = {},
): Promise<CallResult> {
  const token = server.tokens.owner;
  const init = await send("POST", files, {
    token,
    body: [{ key, metadata, size: content.length }],
  });
  expect(init.status).toBe(201);
  const put = await putBytes(`${files}/${encodeURIComponent(key)}/content`, token, content);
  expect(put.status).toBe(200);
  const commit = await send("POST", `${files}/${encodeURIComponent(key)}/commit`, { token });
  expect(commit.status).toBe(200);
  return commit;
}
