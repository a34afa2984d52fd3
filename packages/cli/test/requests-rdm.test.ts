import { writeFile } from "node:fs/promises";
import path from "node:path";

import { beforeAll, describe, expect, it } from "vitest";

import { jsonOf, useDevserverCli } from "./helpers.js";
import type { RunResult } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

describe("review, requests, versions and deletion against the rdm flavour", () => {
  const cli = useDevserverCli({ server: { flavour: "rdm" } });
  const { nrp } = cli;
  const curator = (argv: string[]): Promise<RunResult> => nrp(["--alias", "cur", ...argv]);
  const admin = (argv: string[]): Promise<RunResult> => nrp(["--alias", "adm", ...argv]);

  beforeAll(async () => {
    for (const [alias, token] of [
      ["cur", cli.server.tokens.curator],
      ["adm", cli.server.tokens.admin],
    ] as const) {
      const r = await nrp(["add", "alias", cli.server.url, alias, "--token", token]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  async function inCommunity(title: string, variable: string): Promise<Json> {
    return jsonOf(
      await nrp([
        "create",
        "record",
        "records",
        JSON.stringify({ title }),
        "--community",
        "physics",
        "--no-files",
        "--set",
        variable,
      ]),
    );
  }

  it("publish of a draft created in a community submits its review; the curator accepts", async () => {
    const draft = await inCommunity("Bat calls", "d");
    expect(draft["parent"]["review"]["receiver"]).toEqual({ community: PHYSICS });

    const before = jsonOf(await nrp(["list", "requests", "@d"]));
    expect(
      before["requests"].map((r: Json) => [r["type"] as string, r["status"] as string]),
    ).toEqual([["community-submission", "created"]]);

    const pub = await nrp(["publish", "record", "@d", "--set", "q"]);
    const request = jsonOf(pub);
    expect(request["type"]).toBe("community-submission");
    expect(request["status"]).toBe("submitted");
    expect(pub.stderr).toContain(
      `Submitted community-submission request ${request["id"] as string} for review by the curators of community ${PHYSICS}`,
    );
    expect(pub.stderr).toContain("follow it with: nrp get request @q");

    const listed = jsonOf(await nrp(["list", "requests", "@d"]));
    expect(listed["requests"].map((r: Json) => r["status"] as string)).toEqual(["submitted"]);
    const mine = jsonOf(await nrp(["list", "requests", "--mine"]));
    expect(mine.map((r: Json) => r["id"] as string)).toContain(request["id"]);
    const inbox = jsonOf(await curator(["list", "requests", "--inbox"]));
    expect(inbox.map((r: Json) => r["id"] as string)).toContain(request["id"]);
    expect(jsonOf(await nrp(["list", "requests", "--inbox"]))).toEqual([]);

    expect((await nrp(["comment", "request", "@q", "Please include"])).code).toBe(0);
    const accepted = await curator(["accept", "request", request["id"] as string, "Welcome"]);
    expect(jsonOf(accepted)["status"]).toBe("accepted");
    const record = jsonOf(await nrp(["get", "record", draft["id"] as string]));
    expect(record["is_published"]).toBe(true);
    expect(record["parent"]["communities"]["ids"]).toEqual([PHYSICS]);
    const timeline = jsonOf(await nrp(["timeline", "request", "@q"]));
    expect(timeline.map((e: Json) => e["payload"]?.["content"] as string)).toEqual(
      expect.arrayContaining(["Please include", "Welcome"]),
    );
    const after = jsonOf(await nrp(["list", "requests", draft["id"] as string]));
    expect(after["requests"].map((r: Json) => r["status"] as string)).toEqual(["accepted"]);
    const done = jsonOf(await nrp(["list", "requests", "--mine", "--status", "accepted"]));
    expect(done.map((r: Json) => r["id"] as string)).toContain(request["id"]);
  });

  it("declined, then submitted again; cancelled, then published directly", async () => {
    await inCommunity("Declined", "d2");
    const first = jsonOf(await nrp(["publish", "record", "@d2"]));
    jsonOf(await curator(["decline", "request", first["id"] as string, "Not for us"]));
    const second = jsonOf(await nrp(["publish", "record", "@d2"]));
    expect(second["id"]).not.toBe(first["id"]);
    expect(second["status"]).toBe("submitted");
    expect(jsonOf(await nrp(["cancel", "request", second["id"] as string]))["status"]).toBe(
      "cancelled",
    );
    const published = await nrp(["publish", "record", "@d2"]);
    expect(jsonOf(published)["is_published"]).toBe(true);
  });

  it("version record --keep-files imports the files into the new version", async () => {
    const created = jsonOf(
      await nrp(["create", "record", "records", '{"title": "With files"}', "--set", "v"]),
    );
    const file = path.join(cli.work, "data.csv");
    await writeFile(file, "a,b\n1,2\n");
    expect((await nrp(["upload", "file", "@v", file])).code).toBe(0);
    jsonOf(await nrp(["publish", "record", "@v", "--set", "v"]));
    const kept = jsonOf(await nrp(["version", "record", "@v", "--keep-files", "--set", "v2"]));
    expect(kept["versions"]["index"]).toBe(2);
    const files = jsonOf(await nrp(["list", "files", "@v2"]));
    expect(JSON.stringify(files)).toContain("data.csv");
    expect(created["id"]).not.toBe(kept["id"]);
  });

  it("delete record --reason: administrators only, then 410", async () => {
    const draft = jsonOf(
      await nrp(["create", "record", "records", '{"title": "Spam"}', "--no-files", "--set", "p"]),
    );
    jsonOf(await nrp(["publish", "record", "@p", "--set", "p"]));
    const id = draft["id"] as string;

    const refused = await nrp(["delete", "record", "@p", "--reason", "spam", "--yes"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /Only administrators may delete published records on InvenioRDM/,
    );
    expect(refused.stderr).toMatch(/new version/);

    const unknown = await admin(["delete", "record", id, "--reason", "boredom", "--yes"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/"boredom" is not a removal reason of this repository/);
    expect(unknown.stderr).toMatch(/use one of .*duplicate.*spam/);

    const deleted = await admin([
      "delete",
      "record",
      id,
      "--reason",
      "spam",
      "--note",
      "advertising",
      "--yes",
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toContain(`Deleted records/${id}.`);
    const gone = await nrp(["get", "record", id]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain("Record deleted");
  });
});
