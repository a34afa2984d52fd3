import { afterEach, describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  InternalServerError,
  NRPError,
  UnknownModelError,
  VERSION,
} from "nrp-invenio-client";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe("discovery against an NRP repository", () => {
  it("reads the repository and its models", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server);
    const repo = await client.info.repository();
    expect(repo.isRdm).toBe(false);
    expect(repo.invenioVersion).toMatch(/\d/);
    expect(repo.name).toBeTruthy();
    expect(repo.links.api).toBe(`${server.url}/api`);
    expect(repo.apiUrl).toBe(`${server.url}/api`);
    expect(repo.transfers).toEqual(expect.arrayContaining(["L"]));
    expect(repo.toDict()).toHaveProperty("invenio_version");

    const models = await client.info.models();
    const names = models.map((m) => m.name).sort();
    expect(names).toEqual(expect.arrayContaining(["datasets", "documents"]));
    expect(models.every((m) => !m.isVocabulary)).toBe(true);
    const all = await client.info.models({ includeVocabularies: true });
    expect(all.length).toBeGreaterThanOrEqual(models.length);

    const datasets = await client.info.getModel("datasets");
    expect(datasets.url).toMatch(new RegExp(`^${server.url}/api/`));
    expect(datasets.userUrl).toMatch(new RegExp(`^${server.url}/api/user/`));
    expect(datasets.features).toEqual(expect.arrayContaining(["drafts", "files"]));
    expect(datasets.schemas.length).toBe(1);
    expect(datasets.toDict()).toHaveProperty("type", "datasets");
    await client.close();
  });

  it("asks for the slashed well-known URL (no 308 to follow) and caches the answer", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server);
    await client.info.repository();
    await client.info.models();
    await client.info.getModel("documents");
    expect(hitsFor(server, "/.well-known/repository")).toBe(0);
    expect(hitsFor(server, "/.well-known/repository/")).toBe(1);
    expect(hitsFor(server, "/.well-known/repository/models")).toBe(1);
    await client.info.models({ refresh: true });
    expect(hitsFor(server, "/.well-known/repository/models")).toBe(2);
  });

  it("an unknown model lists the known ones", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server);
    const error = await client.info.getModel("dataset").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownModelError);
    expect((error as UnknownModelError).known).toEqual(
      expect.arrayContaining(["datasets", "documents"]),
    );
    expect((error as Error).message).toContain("datasets");
  });

  it("a server error that outlasts the retries is reported as such, not as 'not Invenio'", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: "/.well-known/**", status: 503, times: 100 });
    const { client } = fx.client(server, { retryCount: 2 });
    const error = await client.info.repository().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    // No fallback to the InvenioRDM homepage probe while the server is failing.
    expect(hitsFor(server, "/")).toBe(0);
  });

  it("one caller's abort does not fail another caller sharing the discovery", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: "/.well-known/repository/", delayMs: 300 });
    const { client } = fx.client(server);
    const controller = new AbortController();
    const aborted = client.info.repository({ signal: controller.signal });
    const patient = client.info.repository();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(APIUserAbortError);
    const repo = await patient;
    expect(repo.name).toBeTruthy();
  });

  it("sends the User-Agent and Accept headers", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server);
    await client.info.repository();
    const entry = server.requestLog[0]!;
    expect(entry.userAgent).toBe(`nrp-invenio-client/${VERSION} node/${process.version}`);
    expect(entry.headers.accept).toBe("application/json");
  });
});

describe("discovery against plain InvenioRDM", () => {
  it("synthesizes the info from the homepage's generator tag", async () => {
    const server = await fx.devserver({ flavour: "rdm" });
    const { client } = fx.client(server);
    const repo = await client.info.repository();
    expect(repo.isRdm).toBe(true);
    expect(repo.version).toBe("RDM");
    expect(repo.invenioVersion).toBe("RDM 13");
    expect(repo.transfers).toEqual(["L", "F", "R", "M"]);
    expect(repo.defaultModel).toBe("records");
    expect(repo.defaultContentType).toBe("application/json");
    expect(repo.links).toMatchObject({
      api: `${server.url}/api`,
      records: `${server.url}/api/records`,
      drafts: `${server.url}/api/user/records`,
    });
    const models = await client.info.models();
    expect(models.map((m) => m.name)).toEqual(["records"]);
    const records = await client.info.getModel("records");
    expect(records.url).toBe(`${server.url}/api/records`);
    expect(records.userUrl).toBe(`${server.url}/api/user/records`);
    expect(records.metadata).toBe(true);
    const vocabularies = (await client.info.models({ includeVocabularies: true })).filter(
      (m) => m.isVocabulary,
    );
    expect(vocabularies.map((m) => m.name)).toEqual(
      expect.arrayContaining(["affiliations", "licenses"]),
    );
    expect(hitsFor(server, "/")).toBe(1);
  });

  it("a server that is not Invenio gives a clear error", async () => {
    const other = await fx.plainServer(() => ({
      status: 404,
      body: "<html>nothing</html>",
      contentType: "text/html",
    }));
    const { client } = fx.client(other);
    const error = await client.info.repository().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NRPError);
    expect((error as NRPError).code).toBe("NRP_NOT_INVENIO");
    expect((error as Error).message).toBe(
      `${other.url} does not look like an Invenio repository: it serves neither /.well-known/repository nor an InvenioRDM homepage.`,
    );
  });
});
