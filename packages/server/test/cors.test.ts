import { describe, expect, test } from "vitest";
import { DevServerConfigError, startDevServer } from "nrp-invenio-devserver";
import { useServer } from "./helpers.js";

const PAGE = "http://page.example:5173";

function preflight(url: string, origin: string, method = "PUT"): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": "authorization, content-type",
    },
  });
}

describe("CORS for configured origins", () => {
  const server = useServer({ config: { cors: { origins: [PAGE], maxAge: 120 } } });

  test("a preflight from an allowed origin is answered, Authorization allowed, and not logged", async () => {
    const s = server();
    s.requestLog.length = 0;
    const res = await preflight(`${s.url}/api/datasets/abc/draft/files/x/content`, PAGE);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
    expect(res.headers.get("access-control-max-age")).toBe("120");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(s.requestLog).toEqual([]);
  });

  test("responses to an allowed origin expose ETag, Content-Range, Link and Content-Length", async () => {
    const s = server();
    const res = await fetch(`${s.url}/api/datasets`, {
      headers: { Origin: PAGE, Authorization: `Bearer ${s.tokens.owner}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining(["ETag", "Content-Range", "Link", "Content-Length"]),
    );
  });

  test("error and fault responses carry the headers too, so the page can read them", async () => {
    const s = server();
    const missing = await fetch(`${s.url}/api/datasets/nope-nope`, { headers: { Origin: PAGE } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(PAGE);
    s.faults.add({ method: "GET", path: "/api/datasets", status: 503, times: 1 });
    const faulted = await fetch(`${s.url}/api/datasets`, { headers: { Origin: PAGE } });
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("access-control-allow-origin")).toBe(PAGE);
  });

  test("another origin gets no CORS headers: the browser refuses the response", async () => {
    const s = server();
    const res = await preflight(`${s.url}/api/datasets`, "http://evil.example", "POST");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(`${s.url}/api/datasets`, {
      headers: { Origin: "http://evil.example" },
    });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    expect(get.headers.get("vary")).toContain("Origin");
  });
});

describe("CORS off (the default)", () => {
  const server = useServer();

  test("no CORS headers, and OPTIONS is routed as before", async () => {
    const s = server();
    const res = await preflight(`${s.url}/api/datasets`, PAGE, "POST");
    expect(res.status).toBe(200);
    expect(res.headers.get("allow")).toContain("POST");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS config", () => {
  test.each([
    [{ origins: ["http://page.example/app"] }, "cors.origins[0]"],
    [{ origins: "http://page.example" }, "cors.origins"],
    [{ maxAge: -1 }, "cors.maxAge"],
    [{ origin: [] }, "cors.origin"],
  ])("%j is refused naming %s", async (cors, key) => {
    const error: unknown = await startDevServer({ config: { cors: cors as never } }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DevServerConfigError);
    expect((error as DevServerConfigError).key).toBe(key);
  });

  test("* allows any origin", async () => {
    const s = await startDevServer({ config: { cors: { origins: ["*"] } } });
    try {
      const res = await preflight(`${s.url}/api/datasets`, "http://anywhere.example", "POST");
      expect(res.headers.get("access-control-allow-origin")).toBe("http://anywhere.example");
    } finally {
      await s.close();
    }
  });
});
