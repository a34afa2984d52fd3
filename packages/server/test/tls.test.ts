import { readFileSync } from "node:fs";
import { request } from "node:https";
import { describe, expect, test } from "vitest";
import { testTlsFixtures } from "nrp-invenio-devserver";
import { useServer } from "./helpers.js";

function get(url: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTPS with the test fixtures", () => {
  const server = useServer({
    tls: { key: testTlsFixtures.key, cert: readFileSync(testTlsFixtures.cert) },
  });
  const ca = readFileSync(testTlsFixtures.ca, "utf8");

  test("the fixture paths are absolute and exist", () => {
    for (const path of [testTlsFixtures.ca, testTlsFixtures.key, testTlsFixtures.cert]) {
      expect(path.startsWith("/")).toBe(true);
      expect(readFileSync(path, "utf8")).toContain("-----BEGIN");
    }
  });

  test("serves https and is trusted through the test CA, for 127.0.0.1 and localhost", async () => {
    const { url } = server();
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${url}/.well-known/repository/`, ca);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).links.self).toBe(`${url}/.well-known/repository/`);
    const port = new URL(url).port;
    const local = await get(`https://localhost:${port}/.well-known/repository/`, ca);
    expect(JSON.parse(local.body).links.api).toBe(`https://localhost:${port}/api`);
  });

  test("without the CA the certificate is not trusted", async () => {
    await expect(get(`${server().url}/`, undefined)).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });
});
