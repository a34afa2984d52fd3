import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { run, tempHome } from "./helpers.js";
import type { FakeOptions, RunResult } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe("request workflows against the devserver (owner and curator)", () => {
  let server: DevServer;
  let home: Awaited<ReturnType<typeof tempHome>>;

  beforeAll(async () => {
    server = await startDevServer({
      config: {
        models: {
          datasets: {
            features: ["requests", "drafts", "files"],
            publishing: "curated",
            requireCommunity: true,
          },
          documents: {
            features: ["requests", "drafts", "files"],
            publishing: "curated",
            requests: { autoAccept: ["publish_draft", "edit_published_record", "new_version"] },
          },
        },
      },
    });
    home = await tempHome();
    for (const [alias, token] of [
      ["dev", server.tokens.owner],
      ["cur", server.tokens.curator],
    ] as const) {
      const r = await nrp(["add", "alias", server.url, alias, "--token", token]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await server.close();
    await home.cleanup();
  });

  /** The owner (the default alias). */
  function nrp(argv: string[], opts: FakeOptions = {}): Promise<RunResult> {
    return run(["--config", home.config, ...argv], {
      ...opts,
      env: { ...home.env, NO_COLOR: "1", ...opts.env },
    });
  }
  /** The curator of the communities. */
  function curator(argv: string[]): Promise<RunResult> {
    return nrp(["--alias", "cur", ...argv]);
  }
  function json(r: RunResult): Json {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Json;
  }
  async function dataset(title: string, setVar: string): Promise<Json> {
    return json(
      await nrp([
        "create",
        "record",
        "datasets",
        JSON.stringify({ title }),
        "--community",
        "physics",
        "--no-files",
        "--set",
        setVar,
      ]),
    );
  }
  async function publishedDataset(title: string, setVar: string): Promise<Json> {
    await dataset(title, setVar);
    const q = json(await nrp(["publish", "record", `@${setVar}`]));
    const accepted = json(await curator(["accept", "request", q["id"] as string]));
    expect(accepted["status"]).toBe("accepted");
    const url = accepted["payload"]["published_record:links:self"] as string;
    await nrp(["set", "variable", setVar, url]);
    return json(await nrp(["get", "record", url]));
  }

  it("publish goes through a request that the curator accepts from the inbox", async () => {
    const draft = await dataset("Reviewed", "d");
    const pub = await nrp(["publish", "record", "@d", "--set", "q"]);
    const request = json(pub);
    expect(request["type"]).toBe("publish_draft");
    expect(request["status"]).toBe("submitted");
    expect(pub.stderr).toMatch(
      /Submitted publish_draft request \S+ for review by the curators of community /,
    );
    expect(pub.stderr).toContain("follow it with: nrp get request @q");
    expect(pub.stderr).toContain(`Stored in @q: ${request["links"]["self"] as string}`);

    const got = json(await nrp(["get", "request", "@q"]));
    expect(got["id"]).toBe(request["id"]);
    const byUrl = json(await nrp(["get", "request", request["links"]["self"] as string]));
    expect(byUrl["id"]).toBe(request["id"]);
    const recordUrl = draft["links"]["self"] as string;
    const notRequest = await nrp(["get", "request", recordUrl]);
    expect(notRequest.code).toBe(2);
    expect(notRequest.stderr).toContain(`The URL "${recordUrl}" is not a request`);
    expect(notRequest.stderr).toContain(`nrp list requests ${recordUrl}`);
    await nrp(["set", "variable", "rec", recordUrl]);
    expect((await nrp(["timeline", "request", "@rec"])).code).toBe(2);
    expect(Object.keys(got["links"]["actions"] as Json)).toEqual(["cancel"]);

    const inbox = json(await curator(["list", "requests", "--inbox"]));
    expect(inbox.map((r: Json) => r["id"] as string)).toContain(request["id"]);
    const ownerInbox = json(await nrp(["list", "requests", "--inbox"]));
    expect(ownerInbox.map((r: Json) => r["id"] as string)).not.toContain(request["id"]);

    const table = await curator(["requests", "ls", "--inbox", "--format", "table"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("submitted");

    const accepted = await curator(["request", "accept", request["id"] as string, "Looks good"]);
    expect(json(accepted)["status"]).toBe("accepted");
    expect(accepted.stderr).toContain(`Accepted publish_draft request ${request["id"] as string}`);

    const record = json(await nrp(["get", "record", `datasets/${draft["id"] as string}`]));
    expect(record["is_published"]).toBe(true);
    expect(record["is_draft"]).toBe(false);

    const timeline = json(await nrp(["timeline", "request", "@q"]));
    expect(timeline.some((e: Json) => e["payload"]?.["content"] === "Looks good")).toBe(true);
    const listed = json(await nrp(["list", "requests", `datasets/${draft["id"] as string}`]));
    expect(listed["requests"].map((r: Json) => r["status"] as string)).toContain("accepted");

    const mine = json(await nrp(["list", "requests", "--mine", "--status", "accepted"]));
    expect(mine.map((r: Json) => r["id"] as string)).toContain(request["id"]);
  });

  it("declined, then changed and resubmitted; the owner cannot accept", async () => {
    await dataset("Draft one", "d2");
    const listed = await nrp(["list", "requests", "@d2", "--format", "table"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("publish_draft");

    const q = json(await nrp(["create", "request", "@d2", "publish_draft", "--set", "q2"]));
    expect(q["status"]).toBe("submitted");
    const ownerAccept = await nrp(["accept", "request", "@q2"]);
    expect(ownerAccept.code).toBe(5);
    expect(ownerAccept.stderr).toContain("cancel");

    const declined = json(
      await curator(["decline", "request", q["id"] as string, "Fix the title"]),
    );
    expect(declined["status"]).toBe("declined");
    const again = await curator(["decline", "request", q["id"] as string]);
    expect(again.code).toBe(5);

    json(await nrp(["update", "record", "@d2", '{"title": "Draft one, fixed"}']));
    const created = json(
      await nrp(["create", "request", "@d2", "publish_draft", "--no-submit", "--set", "q3"]),
    );
    expect(created["status"]).toBe("created");
    const updated = json(await nrp(["update", "request", "@q3", '{"version": "1.0"}']));
    expect(updated["payload"]["version"]).toBe("1.0");
    json(await nrp(["comment", "request", "@q3", "Title fixed"]));
    const submitted = json(await nrp(["submit", "request", "@q3"]));
    expect(submitted["status"]).toBe("submitted");
    expect(json(await curator(["accept", "request", created["id"] as string]))["status"]).toBe(
      "accepted",
    );
  });

  it("cancel, then actions that are no longer available exit 5 naming what is", async () => {
    await dataset("Cancelled", "d3");
    json(await nrp(["create", "request", "@d3", "publish_draft", "--no-submit", "--set", "q4"]));
    const cancelled = json(await nrp(["cancel", "request", "@q4", "Not ready"]));
    expect(cancelled["status"]).toBe("cancelled");
    const submit = await nrp(["submit", "request", "@q4"]);
    expect(submit.code).toBe(5);
    expect(submit.stderr).toContain("no action is available to you now");
    const asJson = await nrp(["submit", "request", "@q4", "--format", "json"]);
    expect(asJson.code).toBe(5);
    const error = (JSON.parse(asJson.stderr) as Json)["error"];
    expect(error).toMatchObject({ code: "NRP_ACTION_NOT_AVAILABLE", exit_code: 5 });
    const table = await nrp(["get", "request", "@q4", "--format", "table"]);
    expect(table.stdout).toMatch(/status\s+│ cancelled/);
    expect(table.stdout).toMatch(/actions\s+│ \(none\)/);

    const twice = await nrp(["create", "request", "@d3", "no_such_type"]);
    expect(twice.code).toBe(5);
    expect(twice.stderr).toContain("publish_draft");
  });

  it("a curator may not change the owner's request payload (exit 3)", async () => {
    await dataset("Owned", "d4");
    const q = json(await nrp(["create", "request", "@d4", "publish_draft", "--no-submit"]));
    const r = await curator(["update", "request", q["id"] as string, '{"version": "2"}']);
    expect(r.code).toBe(3);
    json(await nrp(["cancel", "request", q["id"] as string]));
  });

  it("edit and new version of a curated record go through requests", async () => {
    await publishedDataset("Edited", "p");
    const edit = await nrp(["create", "request", "@p", "edit_published_record", "--set", "eq"]);
    const editRequest = json(edit);
    expect(editRequest["type"]).toBe("edit_published_record");
    expect(editRequest["status"]).toBe("submitted");
    const accepted = json(await curator(["accept", "request", editRequest["id"] as string]));
    expect(accepted["payload"]["draft_record:links:self"]).toMatch(/\/draft$/);

    await publishedDataset("Versioned", "p2");
    const version = json(
      await nrp(["create", "request", "@p2", "new_version", '{"keep_files": "no"}']),
    );
    expect(version["type"]).toBe("new_version");
    const v = json(await curator(["accept", "request", version["id"] as string]));
    expect(v["payload"]["draft_record:id"]).toBeTruthy();
  });

  it("@VAR holding a draft URL still works for request commands after the draft is published", async () => {
    const draft = await dataset("Kept in a variable", "kd");
    const q = json(await nrp(["publish", "record", "@kd"]));
    json(await curator(["accept", "request", q["id"] as string]));
    expect((await nrp(["get", "variable", "kd", "--format", "json"])).stdout).toContain("/draft");

    const listed = json(await nrp(["list", "requests", "@kd"]));
    expect(listed["requests"].map((r: Json) => r["id"] as string)).toContain(q["id"]);
    const edit = json(await nrp(["create", "request", "@kd", "edit_published_record"]));
    expect(edit["type"]).toBe("edit_published_record");
    expect(Object.values(edit["topic"] as Json)).toEqual([draft["id"]]);
    json(await nrp(["cancel", "request", edit["id"] as string]));

    const missing = await nrp(["list", "requests", "datasets/nosuch-0000"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("draft/datasets/nosuch-0000 does not exist either");
  });

  it("delete record --reason asks for deletion; accepted, the record is gone", async () => {
    const record = await publishedDataset("Removed", "p3");
    const noReason = await nrp(["delete", "record", "@p3", "--yes"]);
    expect(noReason.code).toBe(4);
    expect(noReason.stderr).toContain("--reason");
    const noYes = await nrp(["delete", "record", "@p3", "--reason", "duplicate"]);
    expect(noYes.code).toBe(2);
    const del = await nrp([
      "delete",
      "record",
      "@p3",
      "--reason",
      "duplicate",
      "--yes",
      "--set",
      "dq",
    ]);
    const request = json(del);
    expect(request["type"]).toBe("delete_published_record");
    expect(request["payload"]["removal_reason"]).toBe("duplicate");
    expect(json(await curator(["accept", "request", request["id"] as string]))["status"]).toBe(
      "accepted",
    );
    const gone = await nrp(["get", "record", `datasets/${record["id"] as string}`]);
    expect(gone.code).toBe(4);
  });

  it("delete record --reason on a record as oarepo serves it (no is_draft) asks for deletion", async () => {
    const record = await publishedDataset("Removed as oarepo", "p4");
    const path = `/api/datasets/${record["id"] as string}`;
    const read = (await (
      await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${server.tokens.owner}` },
      })
    ).json()) as Json;
    const rdm = new Set(["is_draft", "is_published", "versions", "expires_at"]);
    const body = Object.fromEntries(Object.entries(read).filter(([k]) => !rdm.has(k)));
    const fault = server.faults.add({ method: "GET", path, status: 200, body, times: 5 });
    const request = json(await nrp(["delete", "record", "@p4", "--reason", "duplicate", "--yes"]));
    server.faults.remove(fault);
    expect(request["type"]).toBe("delete_published_record");
    expect(server.requestLog.filter((e) => e.method === "DELETE" && e.path === path)).toEqual([]);
    expect(json(await curator(["accept", "request", request["id"] as string]))["status"]).toBe(
      "accepted",
    );
    expect((await nrp(["get", "record", `datasets/${record["id"] as string}`])).code).toBe(4);
  });

  it("auto-accepted types publish and open drafts at once", async () => {
    const created = json(
      await nrp(["create", "record", "documents", '{"title": "Auto"}', "--no-files", "--set", "a"]),
    );
    const published = await nrp(["publish", "record", "@a", "--set", "a"]);
    expect(json(published)["is_published"]).toBe(true);
    expect(published.stderr).toContain(`Published documents/${created["id"] as string}`);
    const draft = json(await nrp(["edit", "record", "@a"]));
    expect(draft["is_draft"]).toBe(true);
    const version = json(await nrp(["version", "record", "@a"]));
    expect(version["versions"]["index"]).toBe(2);
  });
});
