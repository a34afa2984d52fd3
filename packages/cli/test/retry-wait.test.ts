import { createServer } from "node:net";

import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { run, tempHome, withAlias } from "./helpers.js";

/** A loopback port that nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const ANNOUNCE = /^(.+); retry (\d+)\/(\d+) in (\d+) s; Ctrl-C to stop$/gm;

describe("retry waits", () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startDevServer({ port: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  it("a server that never answered fails fast: exit 6 within seconds, no retry line", async () => {
    const home = await tempHome();
    try {
      const port = await closedPort();
      const started = Date.now();
      const r = await run(["--config", home.config, "describe", "repository"], {
        env: { ...home.env, NRP_INVENIO_CLIENT_SERVER_URL: `http://127.0.0.1:${String(port)}` },
      });
      const elapsed = Date.now() - started;
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain("ECONNREFUSED");
      // One quick retry after 1 s, too short to announce.
      expect(r.stderr).not.toMatch(ANNOUNCE);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(5000);
    } finally {
      await home.cleanup();
    }
  });

  it("a 503 with Retry-After prints one line per wait, and --max-wait stops it", async () => {
    await withAlias(server.url, "busy", async (nrp) => {
      try {
        server.faults.add({
          path: "/.well-known/repository/models",
          status: 503,
          headers: { "Retry-After": "3" },
          times: 50,
        });
        const started = Date.now();
        const r = await nrp(["--max-wait", "7", "describe", "repository"]);
        const elapsed = Date.now() - started;
        expect(r.code, r.stderr).toBe(6);
        const lines = [...r.stderr.matchAll(ANNOUNCE)].map((m) => m[0]);
        expect(lines).toEqual([
          "HTTP 503; retry 1/10 in 3 s; Ctrl-C to stop",
          "HTTP 503; retry 2/10 in 3 s; Ctrl-C to stop",
        ]);
        expect(r.stderr).toContain("the total retry wait (--max-wait) was used up");
        expect(elapsed).toBeGreaterThanOrEqual(5500);
        expect(elapsed).toBeLessThan(15000);
      } finally {
        server.faults.clear();
      }
    });
  });

  it("--max-wait rejects a value that is not a number of seconds", async () => {
    const home = await tempHome();
    try {
      const r = await run(
        ["--config", home.config, "--max-wait", "soon", "describe", "repository"],
        {
          env: home.env,
        },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--max-wait must be a number of seconds");
    } finally {
      await home.cleanup();
    }
  });
});
