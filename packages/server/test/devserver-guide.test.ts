// The worked example of docs/devserver.md ("End-to-end tests of another client"): the devserver
// started with exactly that config, over HTTPS with a CA made by the guide's own openssl lines,
// with the fixed tokens in their files and the communities' roles receiving requests.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { startDevServer, type DevServer, type DevServerConfig } from "nrp-invenio-devserver";

const GUIDE = fileURLToPath(new URL("../../../docs/devserver.md", import.meta.url));
const CHEMISTRY = "0b6a7c52-2f4e-4d0a-9b1c-3e5f7a9c1d01";
const PHYSICS = "0b6a7c52-2f4e-4d0a-9b1c-3e5f7a9c1d02";

/** The guide's sample: the openssl lines (before the config) and the config between `YAML` marks. */
async function guideSample(): Promise<{ openssl: string; config: string }> {
  const page = await readFile(GUIDE, "utf8");
  const section = page.slice(page.indexOf("## End-to-end tests of another client"));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1] ?? "";
  const config = /<<'YAML'\n([\s\S]*?)\nYAML\n/.exec(block)?.[1];
  const openssl = block.slice(0, block.indexOf("cat > devserver.yaml"));
  if (config === undefined || !openssl.includes("openssl x509")) {
    throw new Error("docs/devserver.md: the end-to-end example is missing its config or CA");
  }
  return { openssl, config };
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON payloads
  body: any;
}

/** One HTTPS call that trusts only `ca`. */
function call(
  url: string,
  ca: Buffer,
  options: { token?: string; method?: string; body?: unknown } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      url,
      {
        method: options.method ?? (payload === undefined ? "GET" : "POST"),
        ca,
        headers: {
          ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
          ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            body: text === "" ? undefined : JSON.parse(text),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("the end-to-end example of docs/devserver.md", () => {
  let dir = "";
  let server: DevServer;
  let ca: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nrp-guide-e2e-"));
    const { openssl, config } = await guideSample();
    await promisify(execFile)("bash", ["-euo", "pipefail", "-c", openssl], { cwd: dir });
    await writeFile(join(dir, "e2e", "devserver.yaml"), `${config}\n`);
    const e2e = join(dir, "e2e");
    server = await startDevServer({
      port: 0,
      configFile: join(e2e, "devserver.yaml"),
      tls: { key: join(e2e, "server-key.pem"), cert: join(e2e, "server-cert.pem") },
    });
    ca = await readFile(join(e2e, "ca.pem"));
  }, 60_000);
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the fixed tokens are in their files, readable by the owner only", async () => {
    for (const [user, token] of [
      ["alice", "alice-e2e-0123456789abcdef"],
      ["bob", "bob-e2e-0123456789abcdef"],
    ] as const) {
      const file = join(dir, "e2e", "tokens", user);
      expect(await readFile(file, "utf8")).toBe(`${token}\n`);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(server.users.find((u) => u.username === user)?.token).toBe(token);
    }
  });

  test("HTTPS verifies with the generated CA alone, and not without it", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const models = await call(`${server.url}/.well-known/repository/models`, ca);
    expect(models.status).toBe(200);
    expect((models.body as { type: string }[]).map((m) => m.type)).toContain("theses");
    await expect(fetch(`${server.url}/api/theses/`)).rejects.toThrow();
    const community = await call(`${server.url}/api/communities/chemistry`, ca);
    expect(community.body.id).toBe(CHEMISTRY);
  });

  test("the roles receive the workflow's requests: curators publish, owners delete", async () => {
    const alice = "alice-e2e-0123456789abcdef";
    const bob = "bob-e2e-0123456789abcdef";
    const api = `${server.url}/api/theses`;
    const draft = await call(`${api}/`, ca, {
      token: alice,
      body: {
        metadata: { title: "On lasers", defended: "2026-06-01" },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    expect(draft.status).toBe(201);
    const id = draft.body.id as string;
    const publish = await call(`${api}/${id}/draft/requests/publish_draft`, ca, {
      token: alice,
      body: {},
    });
    expect(publish.body.receiver).toEqual({ community_role: `${PHYSICS}:curator` });
    const actions = `${server.url}/api/requests/${publish.body.id as string}/actions`;
    expect((await call(`${actions}/submit`, ca, { token: alice, body: {} })).status).toBe(200);
    // alice owns physics but is not its curator; bob is.
    expect((await call(`${actions}/accept`, ca, { token: alice, body: {} })).status).toBe(403);
    expect((await call(`${actions}/accept`, ca, { token: bob, body: {} })).body.status).toBe(
      "accepted",
    );
    expect((await call(`${api}/${id}`, ca)).status).toBe(200);

    const remove = await call(`${api}/${id}/requests/delete_published_record`, ca, {
      token: alice,
      body: { payload: { removal_reason: "duplicate" } },
    });
    expect(remove.body.receiver).toEqual({ community_role: `${PHYSICS}:owner` });
    const removeActions = `${server.url}/api/requests/${remove.body.id as string}/actions`;
    expect((await call(`${removeActions}/submit`, ca, { token: alice, body: {} })).status).toBe(
      200,
    );
    expect((await call(`${removeActions}/accept`, ca, { token: bob, body: {} })).status).toBe(403);
    expect((await call(`${removeActions}/accept`, ca, { token: alice, body: {} })).status).toBe(
      200,
    );
    expect((await call(`${api}/${id}`, ca)).status).toBe(410);
  });
});

describe("the NRP config snippet of docs/devserver.md", () => {
  test("starts a devserver whose articles are reviewed and whose vocabularies are served", async () => {
    const page = await readFile(GUIDE, "utf8");
    const section = page.slice(page.indexOf("The rest of what an NRP repository"));
    const yaml = /```yaml\n([\s\S]*?)\n```/.exec(section)?.[1] ?? "";
    const server = await startDevServer({ config: parseYaml(yaml) as DevServerConfig });
    try {
      const draft = await fetch(`${server.url}/api/articles/`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${server.tokens.owner}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ metadata: { title: "x" }, files: { enabled: false } }),
      });
      const body = (await draft.json()) as { links: Record<string, string> };
      expect(body.links.review).toMatch(/\/draft\/review$/);
      const czech = await fetch(`${server.url}/api/vocabularies/languages?q=czech`);
      expect(((await czech.json()) as { hits: { total: number } }).hits.total).toBe(1);
      expect((await fetch(`${server.url}/api/funders/01pv73b02`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
