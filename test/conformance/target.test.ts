// The target file's contract: what readTargetFile accepts (a community, or workflows on NRP) and
// the message each mistake gives. Runs with every conformance run; it starts no server.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { devserverTarget, externalTarget, readTargetFile, TARGET_ENV } from "./target.js";

const tokens = { depositor: "t1", other: "t2", curator: "t3", admin: "t4" };
const base = {
  name: "a-target",
  url: "http://127.0.0.1:5090/",
  model: "simple",
  tokens,
};

describe("conformance target file", () => {
  let dir: string;
  let n = 0;
  /** Writes `data` (JSON unless a string) to a new file and returns its path. */
  const file = async (data: unknown): Promise<string> => {
    const path = join(dir, `target-${String(++n)}.json`);
    await writeFile(path, typeof data === "string" ? data : JSON.stringify(data));
    return path;
  };
  const mistake = async (data: unknown): Promise<string> => {
    const path = await file(data);
    try {
      readTargetFile(path);
    } catch (error) {
      const message = (error as Error).message;
      expect(message.startsWith(`${TARGET_ENV}=${path}: `), message).toBe(true);
      return message.slice(`${TARGET_ENV}=${path}: `.length);
    }
    throw new Error(`${JSON.stringify(data)} was accepted`);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nrp-conformance-target-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads an RDM target with a community", async () => {
    const community = { id: "9e2594c4-a1b2-418f-b4e9-bc57e4bcc1b4", slug: "conformance" };
    const target = readTargetFile(
      await file({ ...base, flavour: "rdm", model: "records", community }),
    );
    expect(target).toMatchObject({
      name: "a-target",
      flavour: "rdm",
      setup: "rdm",
      url: "http://127.0.0.1:5090",
      verify: true,
      model: "records",
      tokens,
      community,
      local: false,
    });
    expect(target.workflows).toBeUndefined();
  });

  it("reads an NRP target with a community, and one with workflows instead", async () => {
    const community = { id: "c1", slug: "physics" };
    const withCommunity = readTargetFile(await file({ ...base, flavour: "nrp", community }));
    expect(withCommunity.setup).toBe("nrp-communities");
    expect(withCommunity.community).toEqual(community);

    const workflows = { auto: "auto_publish", curated: "curated_publish" };
    const target = readTargetFile(
      await file({ ...base, flavour: "nrp", verify: false, workflows }),
    );
    expect(target).toMatchObject({ flavour: "nrp", setup: "nrp-workflows", verify: false });
    expect(target.workflows).toEqual(workflows);
    expect(target.community).toBeUndefined();
  });

  it("names the file and the key of every mistake", async () => {
    const workflows = { auto: "a", curated: "c" };
    const community = { id: "c1", slug: "physics" };
    expect(await mistake("{not json")).toMatch(/^cannot read it as JSON/);
    expect(await mistake([])).toBe("must hold a JSON object");
    expect(await mistake({ ...base, flavour: "oarepo", community })).toBe(
      `"flavour" must be "rdm" or "nrp"`,
    );
    expect(await mistake({ ...base, flavour: "nrp", community, tokens: undefined })).toMatch(
      /^"tokens" must be an object/,
    );
    expect(
      await mistake({ ...base, flavour: "nrp", community, tokens: { ...tokens, admin: "" } }),
    ).toBe(`"tokens.admin" must be a non-empty string`);
    expect(await mistake({ ...base, flavour: "nrp", community, verify: "yes" })).toBe(
      `"verify" must be true or false`,
    );
    expect(await mistake({ ...base, flavour: "nrp" })).toBe(
      `needs "community" ({"id", "slug"}) or, without communities, "workflows" ({"auto", "curated"})`,
    );
    expect(await mistake({ ...base, flavour: "rdm" })).toBe(
      `needs "community" ({"id", "slug"}): the community the curator curates`,
    );
    expect(await mistake({ ...base, flavour: "nrp", community, workflows })).toBe(
      `give either "community" or "workflows", not both`,
    );
    expect(await mistake({ ...base, flavour: "rdm", workflows })).toBe(
      `"workflows" is for an NRP repository without communities ("flavour": "nrp")`,
    );
    expect(await mistake({ ...base, flavour: "nrp", workflows: { auto: "a" } })).toBe(
      `"workflows.curated" must be a non-empty string`,
    );
    expect(await mistake({ ...base, flavour: "nrp", workflows: "auto_publish" })).toBe(
      `"workflows" must be an object with "auto" and "curated" (workflow codes)`,
    );
    expect(await mistake({ ...base, flavour: "rdm", community: { id: "c1" } })).toBe(
      `"community.slug" must be a non-empty string`,
    );
  });

  it("plans the external target from the file, and the devserver only without one", async () => {
    const path = await file({
      ...base,
      flavour: "nrp",
      workflows: { auto: "a", curated: "c" },
    });
    const env = { [TARGET_ENV]: path };
    const external = externalTarget(env);
    expect("plan" in external && external.plan).toMatchObject({
      name: "a-target",
      flavour: "nrp",
      setup: "nrp-workflows",
      local: false,
    });
    expect(devserverTarget("nrp", env)).toEqual({
      skip: `devserver-nrp not started: ${TARGET_ENV} selects ${path}`,
    });
    const nrp = devserverTarget("nrp", {});
    expect("plan" in nrp && nrp.plan).toMatchObject({ setup: "nrp-communities", local: true });
    const rdm = devserverTarget("rdm", {});
    expect("plan" in rdm && rdm.plan).toMatchObject({ setup: "rdm", local: true });
    expect(externalTarget({})).toEqual({
      skip: `no external server: ${TARGET_ENV} is not set`,
    });
  });
});
