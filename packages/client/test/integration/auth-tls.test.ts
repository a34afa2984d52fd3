import diagnostics from "node:diagnostics_channel";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { testTlsFixtures } from "nrp-invenio-devserver";
import { APIConnectionError, PermissionDeniedError } from "nrp-invenio-client";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe("Authorization scoping", () => {
  it("sends the token to the configured origin", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server, { token: server.tokens.owner });
    await client.info.repository();
    expect(server.requestLog.length).toBeGreaterThan(0);
    for (const entry of server.requestLog) {
      expect(entry.authorization).toBe(true);
      expect(entry.authorized).toBe(true);
    }
  });

  it.each([302, 307, 301, 308, 303])(
    "keeps the token on a same-origin %i redirect but drops it cross-origin",
    async (status) => {
      const server = await fx.devserver();
      const other = await fx.plainServer();
      const { http } = fx.http(server, { token: server.tokens.owner });
      server.faults.add({
        method: "GET",
        path: "/api/elsewhere",
        status,
        headers: { Location: `${other.url}/landing?x=1` },
      });
      const res = await http.getJSON<{ other: boolean }>("/api/elsewhere");
      expect(res.body).toEqual({ other: true });
      expect(res.url).toBe(`${other.url}/landing?x=1`);
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]!.headers.authorization).toBeUndefined();
      expect(other.requests[0]!.headers["user-agent"]).toBe("test-agent");
      const first = server.requestLog.find((e) => e.path === "/api/elsewhere")!;
      expect(first.authorization).toBe(true);

      server.faults.add({
        method: "GET",
        path: "/api/here",
        status,
        headers: { Location: `${server.url}/.well-known/repository/` },
      });
      server.requestLog.length = 0;
      await http.getJSON("/api/here");
      expect(server.requestLog.map((e) => [e.path, e.authorization])).toEqual([
        ["/api/here", true],
        ["/.well-known/repository/", true],
      ]);
    },
  );

  it.each(["nrp", "rdm"] as const)(
    "a 403 from a link to another origin (%s) names both origins and the fix",
    async (flavour) => {
      const server = await fx.devserver({ flavour });
      // The client uses another address than the one the repository links to.
      const proxy = await fx.tcpProxy(server);
      const { client } = fx.client(proxy, { token: server.tokens.owner });
      const model = flavour === "rdm" ? "records" : "documents";
      const error = await client.records
        .create(model, { title: "elsewhere" }, { filesEnabled: false })
        .then((draft) => draft.publish())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      const denied = error as PermissionDeniedError;
      expect(denied.withheldToken).toEqual({
        requestOrigin: server.url,
        configuredOrigin: proxy.url,
      });
      expect(denied.message).toContain(
        `The token was not sent: ${server.url} is not the configured origin ${proxy.url}`,
      );
      expect(denied.message).toContain(`serverUrl: "${server.url}"`);
      expect(denied.toJSON()).toMatchObject({ withheldToken: { requestOrigin: server.url } });
      // The request went to the repository's own address, without the token.
      const refused = server.requestLog.filter((e) => e.status === 403);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((e) => !e.authorization)).toBe(true);
    },
  );

  it("a 403 at the configured origin says nothing about withheld tokens", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server, { token: server.tokens.owner });
    server.faults.add({ method: "GET", path: "/api/x", status: 403 });
    const error = await http.getJSON("/api/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as PermissionDeniedError).withheldToken).toBeUndefined();
    expect((error as Error).message).not.toContain("token");
  });

  it("a redirect loop stops after 10 hops", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    server.faults.add({
      method: "GET",
      path: "/api/loop",
      status: 302,
      times: 50,
      headers: { Location: "/api/loop" },
    });
    const error = await http.getJSON("/api/loop").catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("NRP_TOO_MANY_REDIRECTS");
    expect(hitsFor(server, "/api/loop")).toBe(11);
  });

  it("a token never appears in errors", async () => {
    const server = await fx.devserver();
    const token = server.tokens.depositor;
    const { http } = fx.http(server, { token });
    server.faults.add({
      method: "GET",
      path: "/api/secret",
      status: 403,
      body: { status: 403, message: `Permission denied for ${token}.` },
    });
    const error = await http.getJSON(`/api/secret?access_token=${token}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    for (const text of [
      (error as Error).message,
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify((error as PermissionDeniedError).body),
    ]) {
      expect(text).not.toContain(token);
    }
  });
});

describe("TLS verification against an HTTPS devserver", () => {
  const tls = { key: testTlsFixtures.key, cert: testTlsFixtures.cert };

  it("verify: <CA bundle> succeeds", async () => {
    const server = await fx.devserver({ tls });
    expect(server.url).toMatch(/^https:/);
    const { client } = fx.client(server, { verify: testTlsFixtures.ca });
    const repo = await client.info.repository();
    expect(repo.isRdm).toBe(false);
  });

  it("default verification rejects the unknown CA with a typed error", async () => {
    const server = await fx.devserver({ tls });
    const { client, events } = fx.client(server);
    const error = await client.info.repository().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as Error).message).toMatch(/certificate/i);
    expect((error as APIConnectionError).causeCode).toMatch(/CERT|SELF_SIGNED|UNABLE/);
    expect(events).toHaveLength(0);
  });

  it("verify: false succeeds", async () => {
    const server = await fx.devserver({ tls });
    const { client } = fx.client(server, { verify: false });
    const models = await client.info.models();
    expect(models.length).toBeGreaterThan(0);
  });
});

describe("socket read buffer", () => {
  /** The readable high-water marks of the sockets the client connects while `run` runs. */
  async function socketBuffers(run: () => Promise<unknown>): Promise<number[]> {
    const marks: number[] = [];
    const listener = (message: unknown): void => {
      const socket = (message as { socket?: { readableHighWaterMark?: number } }).socket;
      if (socket?.readableHighWaterMark !== undefined) marks.push(socket.readableHighWaterMark);
    };
    diagnostics.subscribe("undici:client:connected", listener);
    try {
      await run();
    } finally {
      diagnostics.unsubscribe("undici:client:connected", listener);
    }
    return marks;
  }

  // What waits in a socket's buffer is TLS records, one buffer each, that outlive
  // young-generation collections while a body is held back: with 16 ranges in flight a 1 MiB
  // buffer peaked at 130-150 MiB of RSS, 32 KiB at 86-93 (bench/RESULTS.md, "Memory"), so the
  // client asks for 32 KiB on plain and TLS sockets alike.
  it.each([
    ["HTTP", {}],
    ["HTTPS", { tls: { key: testTlsFixtures.key, cert: testTlsFixtures.cert } }],
  ])("%s sockets buffer 32 KiB before they pause", async (_name, options) => {
    const server = await fx.devserver(options);
    const { client } = fx.client(server, { verify: testTlsFixtures.ca });
    const marks = await socketBuffers(() => client.info.repository());
    expect(marks.length).toBeGreaterThan(0);
    for (const mark of marks) expect(mark).toBe(32 * 1024);
  });
});
