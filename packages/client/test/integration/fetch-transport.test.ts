// The fetch transport (Deno, Bun and browsers) under Node's own fetch, against the devserver: the
// HTTP core's redirects, retries and timeouts must hold over it as over undici.

import { afterEach, describe, expect, it } from "vitest";
import { APIConnectionTimeoutError } from "nrp-invenio-client";
import { createFetchTransport } from "../../src/internal/platform/web.js";
import type { FetchFlavour } from "../../src/internal/platform/web.js";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const FLAVOURS: Record<string, FetchFlavour> = {
  "Deno/Bun": { followRedirects: false, bufferBodies: false, runtime: "test" },
  browser: { followRedirects: true, bufferBodies: true, runtime: "test" },
};

describe.each(Object.entries(FLAVOURS))("fetch transport (%s)", (_name, flavour) => {
  it("reads JSON after the devserver's slash redirect", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server, {
      transport: createFetchTransport({ verify: true }, flavour),
    });
    const res = await http.getJSON<{ invenio_version: string }>("/.well-known/repository");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.body.invenio_version).toBeTruthy();
  });

  it("resends a streamed body cut mid-request from fresh chunks", async () => {
    const server = await fx.devserver();
    const { http, events } = fx.http(server, {
      token: server.tokens.owner,
      transport: createFetchTransport({ verify: true }, flavour),
    });
    const draft = await http.postJSON<{ id: string }>("/api/documents/", {
      metadata: { title: "cut" },
    });
    const files = `/api/documents/${draft.body.id}/draft/files`;
    await http.postJSON(files, [{ key: "a.bin" }]);
    server.faults.add({
      method: "PUT",
      path: `${files}/a.bin/content`,
      dropAfterRequestBytes: 1000,
      times: 1,
    });
    const chunk = new Uint8Array(64 * 1024).fill(7);
    let opened = 0;
    const res = await http.json<{ key: string }>({
      method: "PUT",
      url: `${files}/a.bin/content`,
      headers: { "content-type": "application/octet-stream" },
      body: () => {
        opened++;
        return new Blob(Array.from({ length: 8 }, () => chunk)).stream();
      },
    });
    expect(res.body.key).toBe("a.bin");
    expect(opened).toBe(2);
    expect(events).toHaveLength(1);
    expect(hitsFor(server, `${files}/a.bin/content`, "PUT")).toBe(2);
  });

  it("a server that sends no headers in time is a timeout", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server, {
      transport: createFetchTransport({ verify: true }, flavour),
      timeout: 0.2,
      retryCount: 0,
    });
    server.faults.add({ method: "GET", path: "/api/slow", delayMs: 2000, status: 200 });
    const error = await http.getJSON("/api/slow").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
  });
});

describe("fetch transport settings", () => {
  it("refuses TLS options the runtime cannot honour", () => {
    const flavour = FLAVOURS.browser as FetchFlavour;
    expect(() => createFetchTransport({ verify: false }, flavour)).toThrow(/verify: false/);
    expect(() => createFetchTransport({ verify: "/etc/ca.pem" }, flavour)).toThrow(/verify: true/);
  });
});
