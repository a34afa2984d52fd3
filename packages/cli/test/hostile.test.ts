import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import { run, tempHome, type TempHome } from "./helpers.js";

const servers: Server[] = [];
const homes: TempHome[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) =>
      s.close(() => {
        resolve();
      }),
    );
  }
  for (const h of homes.splice(0)) await h.cleanup();
});

/** A server that answers every request with 1 MiB of headers, or a JSON body cut short. */
async function hostile(mode: "huge-headers" | "truncated-json"): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (mode === "huge-headers") {
      const headers: Record<string, string> = { "content-type": "application/json" };
      for (let i = 0; i < 128; i++) headers[`x-pad-${String(i)}`] = "y".repeat(8 * 1024);
      res.writeHead(200, headers);
      res.end("{}");
    } else {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"hits": {"total": 3, ');
      setTimeout(() => res.destroy(), 20);
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

describe("nrp against a hostile server", () => {
  it.each(["huge-headers", "truncated-json"] as const)(
    "%s: exit 6 with one line on stderr, no stack trace",
    async (mode) => {
      const url = await hostile(mode);
      const home = await tempHome();
      homes.push(home);
      const env = { ...home.env, NO_COLOR: "1" };
      const add = await run(
        ["--config", home.config, "add", "alias", url, "bad", "--skip-token", "--no-check"],
        { env },
      );
      expect(add.code, add.stderr).toBe(0);
      // One quick retry: a truncated body is a connection failure and is retried.
      const config = await readFile(home.config, "utf8");
      const withRetry = config.replace(
        /^(\s*)server_url: .*$/m,
        (line, indent: string) => `${line}\n${indent}retry_count: 1\n${indent}retry_interval: 0.01`,
      );
      expect(withRetry).not.toBe(config);
      await writeFile(home.config, withRetry);
      const r = await run(["--config", home.config, "search", "records"], {
        env,
      });
      expect(r.code, r.stderr).toBe(6);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(url);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});
