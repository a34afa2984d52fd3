import { readFile, writeFile } from "node:fs/promises";
import { connect, createServer as createTcpServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";

import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { jsonOf, run, tempHome, useDevserverCli } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe("record commands against the devserver", () => {
  const cli = useDevserverCli({
    env: (server) => ({ NRP_DOI_RESOLVER_URL: server.url }),
  });
  const { nrp } = cli;
  const json = jsonOf;
  async function createDocument(title = "A document", setVar?: string): Promise<Json> {
    const argv = ["create", "record", "documents", JSON.stringify({ title }), "--no-files"];
    return json(await nrp(setVar === undefined ? argv : [...argv, "--set", setVar]));
  }

  it("create --set, then get, update, publish, edit and version through @VAR", async () => {
    const created = await nrp([
      "create",
      "record",
      "documents",
      '{"title": "Trees", "keywords": ["oak"]}',
      "--no-files",
      "--set",
      "r",
    ]);
    const draft = json(created);
    expect(draft["is_draft"]).toBe(true);
    expect(draft["metadata"]).toEqual({ title: "Trees", keywords: ["oak"] });
    expect(draft["files"]).toEqual({ enabled: false });
    expect(created.stderr).toContain(`Created draft draft/documents/${draft["id"]}.`);
    expect(created.stderr).toContain(`Stored in @r: ${draft["links"]["self"]}`);

    const variable = json(await nrp(["get", "variable", "r"]));
    expect(variable["values"]).toEqual([draft["links"]["self"]]);

    const got = json(await nrp(["get", "record", "@r"]));
    expect(got["id"]).toBe(draft["id"]);
    expect(got["is_draft"]).toBe(true);

    const updated = json(
      await nrp(["update", "record", "@r", '{"abstract": "Heights", "keywords": null}']),
    );
    expect(updated["metadata"]).toEqual({ title: "Trees", abstract: "Heights" });
    expect(updated["revision_id"]).toBeGreaterThan(draft["revision_id"] as number);

    const published = await nrp(["publish", "record", "@r", "--set", "r"]);
    const record = json(published);
    expect(record["is_published"]).toBe(true);
    expect(record["is_draft"]).toBe(false);
    expect(record["links"]["self"]).toBe(`${cli.server.apiUrl}/documents/${draft["id"]}`);
    expect(published.stderr).toContain(`Published documents/${draft["id"]}.`);

    const table = await nrp(["get", "record", "@r"], { tty: true });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/│ state\s+│ published\s+│/);
    expect(table.stdout).toMatch(/│ title\s+│ Trees\s+│/);
    expect(table.stdout).toMatch(/│ revision\s+│ \d+\s+│/);
    expect(table.stdout).toContain(`${cli.server.url}/documents/${draft["id"]}`);

    const edit = json(await nrp(["edit", "record", "@r", "--set", "d"]));
    expect(edit["id"]).toBe(draft["id"]);
    expect(edit["is_draft"]).toBe(true);
    const d = json(await nrp(["get", "variable", "d"]));
    expect(d["values"]).toEqual([`${cli.server.apiUrl}/documents/${draft["id"]}/draft`]);

    const version = json(await nrp(["record", "version", "@r", "--set", "v"]));
    expect(version["id"]).not.toBe(draft["id"]);
    expect(version["versions"]["index"]).toBe(2);
    expect(version["parent"]["id"]).toBe(record["parent"]["id"]);

    // Noun-verb form and the published form of a draft variable.
    const again = json(await nrp(["record", "get", "@v", "--format", "json"]));
    expect(again["id"]).toBe(version["id"]);

    // Deleting the edit draft keeps the published record.
    const editDraft = json(await nrp(["get", "record", "@r", "--draft"]));
    expect(editDraft["is_draft"]).toBe(true);
    const del = await nrp(["record", "rm", "@d", "--yes"]);
    expect(del.code, del.stderr).toBe(0);
    expect(json(await nrp(["get", "record", "@r"]))["is_published"]).toBe(true);
  });

  it("version --keep-files carries the files into a direct new version on NRP; it publishes", async () => {
    jsonOf(await nrp(["create", "record", "documents", '{"title": "Kept"}', "--set", "kf"]));
    const file = join(cli.work, "kept.txt");
    await writeFile(file, "kept\n");
    expect((await nrp(["upload", "file", "@kf", file])).code).toBe(0);
    jsonOf(await nrp(["publish", "record", "@kf", "--set", "kf"]));
    const version = await nrp(["version", "record", "@kf", "--keep-files", "--set", "kf2"]);
    expect(version.code, version.stderr).toBe(0);
    expect(jsonOf(version)["versions"]["index"]).toBe(2);
    expect(version.stderr).not.toContain("none of the");
    const files = jsonOf(await nrp(["list", "files", "@kf2"])) as unknown as Json[];
    expect(files.map((f): unknown[] => [f["key"], f["status"]])).toEqual([
      ["kept.txt", "completed"],
    ]);
    const published = await nrp(["publish", "record", "@kf2"]);
    expect(published.code, published.stderr).toBe(0);
    expect(jsonOf(published)["is_published"]).toBe(true);
  });

  it("lenient errors are warnings on create; publishing the invalid draft exits 5", async () => {
    const r = await nrp([
      "create",
      "record",
      "documents",
      '{"pages": "many"}',
      "--no-files",
      "--set",
      "bad",
    ]);
    const draft = json(r);
    expect(r.stderr).toContain("was saved with 2 validation errors");
    expect(r.stderr).toContain("metadata.title: Missing data for required field.");
    expect(r.stderr).toContain("metadata.pages: Not a valid integer.");

    const table = await nrp(["get", "record", "@bad"], { tty: true });
    expect(table.code).toBe(0);

    const publish = await nrp(["publish", "record", "@bad"]);
    expect(publish.code).toBe(5);
    expect(publish.stderr).toMatch(/^Error: .*A validation error occurred\./m);
    expect(publish.stderr).toContain("  metadata.title: Missing data for required field.");
    const still = json(await nrp(["get", "record", `draft/documents/${draft["id"]}`]));
    expect(still["is_published"]).toBe(false);

    const jsonErr = await nrp(["publish", "record", "@bad", "--format", "json"]);
    expect(jsonErr.code).toBe(5);
    const err = (JSON.parse(jsonErr.stderr) as Json)["error"];
    expect(err["status"]).toBe(400);
    expect(err["errors"]).toEqual(
      expect.arrayContaining([
        { field: "metadata.title", messages: ["Missing data for required field."] },
      ]),
    );
  });

  it("publishing a draft with files enabled but none uploaded explains the way out", async () => {
    json(await nrp(["create", "record", "documents", '{"title": "Files?"}', "--set", "fe"]));
    const r = await nrp(["publish", "record", "@fe"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("files.enabled: Missing uploaded files.");
    expect(r.stderr).toContain(
      `nrp update record @fe '{"metadata": {}, "files": {"enabled": false}}'`,
    );
    json(await nrp(["update", "record", "@fe", '{"metadata": {}, "files": {"enabled": false}}']));
    const ok = json(await nrp(["publish", "record", "@fe"]));
    expect(ok["is_published"]).toBe(true);
  });

  it("update: --replace, a file, stdin, and a partial record with metadata", async () => {
    const draft = await createDocument("Replace me", "rep");
    const file = join(cli.work, "meta.json");
    await writeFile(file, JSON.stringify({ title: "From file", pages: 10 }));
    const replaced = json(await nrp(["update", "record", "@rep", file, "--replace"]));
    expect(replaced["metadata"]).toEqual({ title: "From file", pages: 10 });

    const stdin = Readable.from([Buffer.from('{"abstract": "piped"}')]);
    const merged = await run(
      ["--config", cli.home.config, "update", "record", `draft/documents/${draft["id"]}`, "-"],
      { env: { ...cli.home.env }, stdin },
    );
    expect(json(merged)["metadata"]).toEqual({ title: "From file", pages: 10, abstract: "piped" });

    const partial = await nrp([
      "update",
      "record",
      "@rep",
      '{"metadata": {"pages": 11}, "id": "nope", "files": {"enabled": false}}',
    ]);
    expect(json(partial)["metadata"]).toEqual({ title: "From file", pages: 11, abstract: "piped" });
    expect(partial.stderr).toContain("ignored server-maintained field(s): id.");

    const both = await nrp(["update", "record", "@rep", "{}", "--merge", "--replace"]);
    expect(both.code).toBe(2);
  });

  it("a concurrent update gets 412: exit 5 with the reload hint, nothing overwritten", async () => {
    const draft = await createDocument("Contended", "c");
    const path = `/api/documents/${draft["id"]}/draft`;
    // Hold the first update's PUT until a second update has read and saved in between.
    const rule = cli.server.faults.add({ method: "PUT", path, hold: true, times: 1 });
    try {
      const first = nrp(["update", "record", "@c", '{"abstract": "first"}']);
      await expect
        .poll(() => cli.server.faults.held(rule), {
          message: "the first update's PUT to arrive",
          interval: 10,
          timeout: 10_000,
        })
        .toBe(1);
      const second = await run(
        ["--config", cli.home.config, "update", "record", "@c", '{"abstract": "second"}'],
        { env: { ...cli.home.env } },
      );
      expect(second.code, second.stderr).toBe(0);
      cli.server.faults.release(rule);
      const r = await first;
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("Error: ");
      expect(r.stderr).toContain("The draft changed on the server after nrp read it");
      expect(r.stderr).toContain('Run "nrp get record @c --draft"');
    } finally {
      cli.server.faults.remove(rule);
    }
    const now = json(await nrp(["get", "record", "@c"]));
    expect(now["metadata"]["abstract"]).toBe("second");
  });

  it("delete needs --yes off a terminal, asks on one, and deletes with --yes", async () => {
    const draft = await createDocument("Doomed", "doomed");
    const refused = await nrp(["delete", "record", "@doomed"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Refusing to delete drafts without confirmation");
    expect(refused.stderr).toContain("--yes");
    json(await nrp(["get", "record", "@doomed"]));

    const no = await nrp(["delete", "record", "@doomed"], { answers: ["n"] });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain(`draft/documents/${draft["id"]}  Doomed`);
    expect(no.stderr).toContain("Nothing was deleted.");
    json(await nrp(["get", "record", "@doomed"]));

    const yes = await nrp(["delete", "record", "@doomed"], { answers: ["y"] });
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stderr).toContain(`Deleted draft/documents/${draft["id"]}.`);
    const gone = await nrp(["get", "record", "@doomed"]);
    expect(gone.code).toBe(4);

    const a = await createDocument("A");
    const b = await createDocument("B");
    const both = await nrp([
      "record",
      "delete",
      `draft/documents/${a["id"]}`,
      b["links"]["self"] as string,
      "--yes",
    ]);
    expect(both.code, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout)).toHaveLength(2);
  });

  it("get by DOI (three spellings), by landing page URL, and several ids as a list", async () => {
    await createDocument("With a DOI", "doi");
    const record = json(await nrp(["publish", "record", "@doi", "--set", "doi"]));
    const doi = record["pids"]["doi"]["identifier"] as string;
    expect(doi).toMatch(/^10\.83030\//);
    for (const id of [doi, `doi:${doi}`, `https://doi.org/${doi}`]) {
      const got = json(await nrp(["get", "record", id]));
      expect(got["id"], id).toBe(record["id"]);
    }
    const html = json(await nrp(["get", "record", record["links"]["self_html"] as string]));
    expect(html["id"]).toBe(record["id"]);
    expect(html["is_published"]).toBe(true);

    const other = await createDocument("Other");
    const list = await nrp(["get", "record", "@doi", `draft/documents/${other["id"]}`], {
      tty: true,
    });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/mid\s+│ state\s+│ title/);
    expect(list.stdout).toContain(`documents/${record["id"]}`);
    expect(list.stdout).toContain(`draft/documents/${other["id"]}`);
    const arr = JSON.parse((await nrp(["get", "record", "@doi", "@doi"])).stdout) as Json[];
    expect(arr).toHaveLength(2);

    const partial = await nrp(["get", "record", "@doi", "documents/zzzzz-zzzzz"]);
    expect(partial.code).toBe(4);
    expect((JSON.parse(partial.stdout) as Json[]).map((x) => String(x["id"]))).toEqual([
      String(record["id"]),
    ]);
    expect(partial.stderr).toContain("Warning: documents/zzzzz-zzzzz: ");
    expect(partial.stderr).toContain("Error: 1 of 2 records could not be read.");

    const unknown = await nrp(["get", "record", "10.83030/zzzzz-zzzzz"]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("The DOI 10.83030/zzzzz-zzzzz is not registered");
    expect(unknown.stderr).not.toContain("(request)");
  });

  it("a URL needs no alias: read anonymously when its host is not configured", async () => {
    await createDocument("Public", "pub");
    const record = json(await nrp(["publish", "record", "@pub"]));
    const bare = await tempHome();
    try {
      const anon = (argv: string[]) =>
        run(["--config", bare.config, ...argv], { env: { ...bare.env } });
      const got = await anon(["get", "record", record["links"]["self"] as string]);
      expect(got.code, got.stderr).toBe(0);
      expect((JSON.parse(got.stdout) as Json)["id"]).toBe(record["id"]);
      const draft = await createDocument("Private");
      const denied = await anon(["get", "record", draft["links"]["self"] as string]);
      expect(denied.code).toBe(3);
      const mid = await anon(["get", "record", `documents/${record["id"]}`]);
      expect(mid.code).toBe(2);
    } finally {
      await bare.cleanup();
    }
  });

  it("--draft / --published switch forms; a published draft variable hints at --published", async () => {
    await createDocument("Forms", "f");
    const before = json(await nrp(["get", "variable", "f"]));
    json(await nrp(["publish", "record", "@f"]));
    const stale = await nrp(["get", "record", "@f"]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toContain("--published");
    const pub = json(await nrp(["get", "record", "@f", "--published"]));
    expect(pub["is_published"]).toBe(true);
    expect((before["values"] as string[])[0]).toMatch(/\/draft$/);
    const noDraft = await nrp(["update", "record", `documents/${pub["id"]}`, "{}"]);
    expect(noDraft.code).toBe(4);
    expect(noDraft.stderr).toContain("nrp edit record");
    await createDocument("Never published", "np");
    const edit = await nrp(["edit", "record", "@np"]);
    expect(edit.code).toBe(4);
    expect(edit.stderr).toContain("publish it first");
    const conflicting = await nrp(["get", "record", "@f", "--draft", "--published"]);
    expect(conflicting.code).toBe(2);
  });

  it("get -o writes JSON or YAML and refuses to overwrite without --force", async () => {
    const draft = await createDocument("To a file", "file");
    const out = join(cli.work, "rec.json");
    const first = await nrp(["get", "record", "@file", "-o", out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe("");
    expect(first.stderr).toContain(`Wrote 1 record to ${out}.`);
    expect((JSON.parse(await readFile(out, "utf8")) as Json)["id"]).toBe(draft["id"]);

    const again = await nrp(["get", "record", "@file", "-o", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${out} already exists.`);
    expect(again.stderr).toContain("--force");
    const forced = await nrp(["get", "record", "@file", "@file", "-o", out, "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(await readFile(out, "utf8"))).toHaveLength(2);

    const yaml = join(cli.work, "rec.yaml");
    expect((await nrp(["get", "record", "@file", "-o", yaml])).code).toBe(0);
    expect((parseYaml(await readFile(yaml, "utf8")) as Json)["id"]).toBe(draft["id"]);
  });

  it("--files and --requests add an `included` section and table rows", async () => {
    const r = await nrp([
      "create",
      "record",
      "datasets",
      '{"title": "With files"}',
      "--community",
      "physics",
      "--set",
      "ds",
    ]);
    json(r);
    const got = json(await nrp(["get", "record", "@ds", "--files", "--requests"]));
    expect(got["included"]["files"]["enabled"]).toBe(true);
    expect(got["included"]["files"]["entries"]).toEqual([]);
    expect(Array.isArray(got["included"]["request_types"])).toBe(true);
    const table = await nrp(["get", "record", "@ds", "--files"], { tty: true });
    expect(table.stdout).toMatch(/│ files\s+│ \(none\)/);
  });

  it("community-required model, curated publishing, and errors of the server", async () => {
    const missing = await nrp(["create", "record", "datasets", '{"title": "x"}']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain("Failed to get community from input data.");

    const unknownModel = await nrp(["create", "record", "nope", '{"title": "x"}']);
    expect(unknownModel.code).toBe(4);

    json(
      await nrp([
        "create",
        "record",
        "datasets",
        '{"title": "Curated"}',
        "--community",
        "physics",
        "--no-files",
        "--set",
        "cur",
      ]),
    );
    // The model publishes through review: nrp submits the publish request and says what is next.
    const publish = await nrp(["publish", "record", "@cur", "--set", "curq"]);
    expect(publish.code, publish.stderr).toBe(0);
    expect(publish.stderr).toMatch(/Submitted publish_draft request \S+ for review by /);
    expect(publish.stderr).toContain("follow it with: nrp get request @curq");
    expect((JSON.parse(publish.stdout) as Json)["status"]).toBe("submitted");

    const other = await nrp(["get", "record", "@cur"], {
      env: { NRP_INVENIO_CLIENT_TOKEN: cli.server.tokens.depositor },
    });
    expect(other.code).toBe(3);
  });

  it("a JSON array creates many drafts; a failing item is reported, the others are created", async () => {
    const item = (title: string, community?: string): Json => ({
      metadata: { title },
      ...(community === undefined ? {} : { parent: { communities: { default: community } } }),
    });
    const file = join(cli.work, "many.json");
    await writeFile(
      file,
      JSON.stringify([item("one", "physics"), item("two"), item("three", "biology")]),
    );
    const r = await nrp([
      "create",
      "record",
      "datasets",
      file,
      "--concurrency",
      "2",
      "--set",
      "many",
    ]);
    expect(r.code).toBe(5);
    const created = JSON.parse(r.stdout) as Json[];
    expect(created.map((c) => String(c["metadata"]["title"]))).toEqual(["one", "three"]);
    expect(r.stderr).toContain("item 2 was not created: ");
    expect(r.stderr).toContain("Failed to get community from input data.");
    expect(r.stderr).toContain("Created 2 of 3 drafts.");
    expect(r.stderr).toContain("Error: 1 of 3 records could not be created.");
    const many = json(await nrp(["get", "variable", "many"]));
    expect(many["values"]).toHaveLength(2);
    const bad = await nrp(["create", "record", "datasets", "[{}, 1]"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Item 2 of the JSON array is not an object.");
  });

  it("JSON Lines: a file is checked whole first, standard input is streamed", async () => {
    const file = join(cli.work, "batch.jsonl");
    await writeFile(file, '{"title": "l1"}\n\n{"title": "l3"}\n{"title": oops}\n{"title": "l5"}\n');
    const posts = () => cli.server.requestLog.filter((e) => e.method === "POST").length;
    const before = posts();
    const r = await nrp(["create", "record", "documents", file, "--no-files", "--set", "batch"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`Error: Invalid JSON in line 4 of ${file} at column 11`);
    expect(r.stderr).toContain("Nothing was created");
    expect(posts()).toBe(before);

    const streamed = await run(
      ["--config", cli.home.config, "create", "record", "documents", "-", "--jsonl", "--no-files"],
      { env: { ...cli.home.env }, stdin: Readable.from([Buffer.from(await readFile(file))]) },
    );
    expect(streamed.code).toBe(2);
    const created = JSON.parse(streamed.stdout) as Json[];
    expect(created.map((c) => String(c["metadata"]["title"]))).toEqual(["l1", "l3"]);
    expect(streamed.stderr).toContain("Error: Invalid JSON in line 4 of standard input");
    expect(streamed.stderr).toContain("2 draft(s) from the lines before it were created");
    expect(streamed.stderr).toContain(
      "tail -n +4 <your file> | nrp create record documents - --jsonl --no-files",
    );

    const stdin = Readable.from([Buffer.from('{"title": "s1"}\n{"title": "s2"}\n')]);
    const piped = await run(
      ["--config", cli.home.config, "create", "record", "documents", "-", "--jsonl", "--no-files"],
      { env: { ...cli.home.env }, stdin },
    );
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toHaveLength(2);
    expect(piped.stderr).toContain("Created 2 of 2 drafts.");

    const missing = await nrp(["create", "record", "documents", join(cli.work, "nope.jsonl")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist");
  });

  it("bad JSON is a usage error naming the position; nothing is created", async () => {
    const before = cli.server.requestLog.filter((e) => e.method === "POST").length;
    const r = await nrp(["create", "record", "documents", '{"title": "x",}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Invalid JSON in the JSON argument at line 1, column 15");
    expect(r.stderr).toContain('{"title": "x",}');
    const file = join(cli.work, "broken.json");
    await writeFile(file, '{\n  "title": "x"\n  "pages": 1\n}\n');
    const f = await nrp(["create", "record", "documents", file]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain(`Invalid JSON in ${file} at line 3, column 3`);
    const notObject = await nrp(["create", "record", "documents", "[1, 2]"]);
    expect(notObject.code).toBe(2);
    expect(cli.server.requestLog.filter((e) => e.method === "POST").length).toBe(before);
  });

  it("ids: unknown variable, several values where one is needed, bad id", async () => {
    const unknown = await nrp(["get", "record", "@nothing"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("There is no variable @nothing");
    await nrp(["set", "variable", "two", "documents/a", "documents/b"]);
    const two = await nrp(["edit", "record", "@two"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("holds 2 values, but this command takes one record");
    // A bare id is looked up in every model.
    const bare = await nrp(["get", "record", "abcde-12345"]);
    expect(bare.code).toBe(4);
    expect(bare.stderr).toContain("in any model");
    const missing = await nrp(["get", "record", "documents/zzzzz-zzzzz"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("The persistent identifier does not exist.");
  });

  it.each([
    ["get", "record"],
    ["create", "record"],
    ["update", "record"],
    ["delete", "record"],
    ["publish", "record"],
    ["edit", "record"],
    ["version", "record"],
    ["record", "get"],
    ["records", "publish"],
    ["set", "variable"],
    ["list", "variables"],
    ["variable", "rm"],
  ])("nrp %s %s --help has examples", async (a, b) => {
    const r = await nrp([a, b, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
  });
});

describe("record commands against the rdm flavour", () => {
  const cli = useDevserverCli({ server: { flavour: "rdm" }, alias: "rdm" });
  const { nrp } = cli;

  it("bare ids use the only model; publish [version] sets metadata.version", async () => {
    const created = await nrp([
      "create",
      "record",
      "records",
      '{"title": "RDM record"}',
      "--no-files",
      "--set",
      "r",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const draft = JSON.parse(created.stdout) as Json;
    const bare = await nrp(["get", "record", draft["id"] as string, "--draft"]);
    expect(bare.code, bare.stderr).toBe(0);
    expect((JSON.parse(bare.stdout) as Json)["status"]).toBe("draft");

    const published = await nrp(["publish", "record", "@r", "2.0"]);
    expect(published.code, published.stderr).toBe(0);
    const record = JSON.parse(published.stdout) as Json;
    expect(record["metadata"]["version"]).toBe("2.0");
    expect(record["is_published"]).toBe(true);

    const table = await nrp(["get", "record", draft["id"] as string], { tty: true });
    expect(table.stdout).toMatch(/│ model\s+│ records\s+│/);
    expect(table.stdout).toMatch(/│ title\s+│ RDM record\s+│/);
  });

  it("a 403 from a link to the repository's own address names both origins and the fix", async () => {
    // The alias uses another address than the one the repository links to (its SITE_API_URL).
    const { hostname, port } = new URL(cli.server.url);
    const sockets = new Set<Socket>();
    const proxy = createTcpServer((client) => {
      const upstream = connect(Number(port), hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => client.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxied = `http://127.0.0.1:${String((proxy.address() as AddressInfo).port)}`;
    try {
      const token = cli.server.tokens.owner;
      const added = await nrp(["add", "alias", proxied, "proxied", "--token", token]);
      expect(added.code, added.stderr).toBe(0);
      const created = await nrp([
        "--alias",
        "proxied",
        ...["create", "record", "records", '{"title": "Elsewhere"}', "--no-files"],
      ]);
      const id = String(jsonOf(created)["id"]);
      // A bare id goes to the alias; the draft's links then point at the repository's address.
      const published = await nrp(["--alias", "proxied", "publish", "record", id]);
      expect(published.code).toBe(3);
      expect(published.stderr).toContain("403 Forbidden");
      expect(published.stderr).toContain(
        `The token was not sent: the repository linked to ${cli.server.url}, but the alias is for ${proxied}`,
      );
      expect(published.stderr).toContain(`nrp add alias ${cli.server.url} <alias> --force`);
      expect(published.stderr).not.toContain(token);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) =>
        proxy.close(() => {
          resolve();
        }),
      );
    }
  });
});
