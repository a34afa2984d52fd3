import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, NRPInvenioClient, VERSION } from "nrp-invenio-client";

const clients: NRPInvenioClient[] = [];
function make(options: ConstructorParameters<typeof NRPInvenioClient>[0]): NRPInvenioClient {
  const client = new NRPInvenioClient(options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("NRPInvenioClient options", () => {
  it("fills in defaults and normalises the URL", () => {
    const client = make({ serverUrl: "https://repo.example.org/" });
    expect(client.serverUrl).toBe("https://repo.example.org");
    expect(client.options).toMatchObject({
      verify: true,
      retryCount: 10,
      retryInterval: 10,
      maxRetryAfter: 300,
      timeout: 60,
      userAgent: `nrp-invenio-client/${VERSION} node/${process.version}`,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["non-http URL", { serverUrl: "ftp://x" }, "serverUrl"],
    ["garbage URL", { serverUrl: "not a url" }, "serverUrl"],
    ["missing URL", {}, "serverUrl"],
    ["negative retryCount", { serverUrl: "https://x", retryCount: -1 }, "retryCount"],
    ["fractional retryCount", { serverUrl: "https://x", retryCount: 1.5 }, "retryCount"],
    ["string retryInterval", { serverUrl: "https://x", retryInterval: "10" }, "retryInterval"],
    ["zero timeout", { serverUrl: "https://x", timeout: 0 }, "timeout"],
    ["empty verify", { serverUrl: "https://x", verify: "" }, "verify"],
    ["missing CA bundle", { serverUrl: "https://x", verify: "/nonexistent/ca.pem" }, "verify"],
  ])("rejects %s with a ConfigError naming the option", (_name, options, key) => {
    let error: unknown;
    try {
      make(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
  });

  it("names the unreadable CA file", () => {
    expect(() => make({ serverUrl: "https://x", verify: "/nonexistent/ca.pem" })).toThrow(
      /\/nonexistent\/ca\.pem/,
    );
  });

  it("never prints the token", () => {
    const token = "very-secret-token-123";
    const client = make({ serverUrl: "https://x", token });
    expect(client.options.token).toBe(token);
    for (const text of [
      inspect(client),
      inspect(client, { depth: 10, showHidden: true }),
      inspect(client.options),
      (client.options as { toString(): string }).toString(),
      JSON.stringify(client),
      JSON.stringify(client.options),
    ]) {
      expect(text).not.toContain(token);
    }
    expect(inspect(client)).toContain("***");
  });
});
