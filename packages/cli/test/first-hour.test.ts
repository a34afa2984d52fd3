import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";

import { NRPInvenioClient } from "nrp-invenio-client";
import { startDevServer } from "nrp-invenio-devserver";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { jsonOf, run, useDevserverCli } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe("what a new user types in the first hour", () => {
  const cli = useDevserverCli();
  const { nrp } = cli;
  /**
   * A configuration file in the home with one repository, `alias`, on the devserver and the owner's
   * token under `tokenKey`; `nrp` runs against it.
   */
  async function oneRepository(alias: string, tokenKey = "token") {
    const config = `${cli.home.home}/${alias}.yaml`;
    const { url, tokens } = cli.server;
    await writeFile(
      config,
      `repositories:\n  - alias: ${alias}\n    server_url: ${url}\n    ${tokenKey}: ${tokens.owner}\n`,
    );
    return (args: string[]) => nrp(["--config", config, ...args]);
  }

  beforeAll(async () => {
    const client = new NRPInvenioClient({
      serverUrl: cli.server.url,
      token: cli.server.tokens.owner,
    });
    try {
      const draft = await client.records.create(
        "documents",
        { title: "Soil samples of Moravia" },
        { filesEnabled: false },
      );
      await draft.publish();
    } finally {
      await client.close();
    }
  });

  describe("search and scan default to records", () => {
    it("nrp search 'soil' searches records", async () => {
      const hits = jsonOf(await nrp(["search", "soil", "--format", "json"])) as unknown as Json[];
      expect(hits.map((h) => h["metadata"]["title"] as string)).toEqual([
        "Soil samples of Moravia",
      ]);
    });

    it("nrp scan streams every record, with global options before the verb", async () => {
      const r = await nrp(["--format", "jsonl", "scan"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Soil samples of Moravia");
    });

    it("nrp search requests names the commands that take requests", async () => {
      const r = await nrp(["search", "requests"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown command 'requests'");
      expect(r.stderr).toContain("nrp list requests");
      expect(r.stderr).toContain('"nrp search records requests"');
    });

    it("a verb's synonym suggests the verb", async () => {
      const r = await nrp(["show", "record", "abc"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Did you mean "nrp get record abc"?');
    });
  });

  describe("one configured repository without default_repository", () => {
    it("is the default for variables and listings too", async () => {
      const only = await oneRepository("only");
      const created = await only(
        ["create", "record", "documents", '{"title": "Single alias"}'].concat([
          "--no-files",
          "--set",
          "single",
        ]),
      );
      expect(created.code, created.stderr).toBe(0);
      const got = jsonOf(await only(["get", "record", "@single"]));
      expect(got["metadata"]["title"]).toBe("Single alias");
      const aliases = jsonOf(await only(["list", "aliases", "--format", "json"]));
      expect(aliases).toEqual([expect.objectContaining({ alias: "only", default: true })]);
    });
  });

  describe("tokens", () => {
    it("add alias warns that a wrong token is rejected, and says how to replace it", async () => {
      const config = `${cli.home.home}/bad-token.yaml`;
      const r = await nrp([
        "--config",
        config,
        "add",
        "alias",
        cli.server.url,
        "bad",
        "--token",
        "not-a-real-token",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("Warning: token rejected");
      expect(r.stderr).toContain(`"nrp add alias ${cli.server.url} bad --force"`);
      expect(r.stderr).not.toContain("not-a-real-token");
      const saved = parseYaml(await readFile(config, "utf8")) as Json;
      expect(saved["repositories"][0]["alias"]).toBe("bad");

      // Later, a refused write names the alias, that the token was sent, and the fix.
      const w = await nrp([
        "--config",
        config,
        "create",
        "record",
        "documents",
        "{}",
        "--no-files",
      ]);
      expect(w.code).toBe(3);
      expect(w.stderr).toContain('The token of the alias "bad" was sent');
      expect(w.stderr).toContain(`nrp add alias ${cli.server.url} bad --force`);
    });

    it("a good token passes the check on both flavours", async () => {
      const good = await nrp([
        "--config",
        `${cli.home.home}/good-token.yaml`,
        "add",
        "alias",
        cli.server.url,
        "good",
        "--token",
        cli.server.tokens.depositor,
      ]);
      expect(good.code, good.stderr).toBe(0);
      expect(good.stderr).not.toContain("token rejected");
      const rdm = await startDevServer({ flavour: "rdm" });
      try {
        const config = `${cli.home.home}/rdm.yaml`;
        const ok = await nrp([
          "--config",
          config,
          "add",
          "alias",
          rdm.url,
          "rdm",
          "--token",
          rdm.tokens.owner,
        ]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stderr).not.toContain("token rejected");
        const bad = await nrp([
          "--config",
          config,
          "add",
          "alias",
          rdm.url,
          "rdm",
          "--token",
          "nope",
          "--force",
        ]);
        expect(bad.code, bad.stderr).toBe(0);
        expect(bad.stderr).toContain("Warning: token rejected");
      } finally {
        await rdm.close();
      }
    });

    it("a misspelt key is named with a did-you-mean, and the refusal says no token was sent", async () => {
      const typo = await oneRepository("typo", "tokn");
      const r = await typo(["create", "record", "documents", "{}", "--no-files"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        'unknown key "tokn" in repositories[0] is ignored; did you mean "token"?',
      );
      expect(r.stderr).toContain('No token is stored for the alias "typo"');
      expect(r.stderr).toContain(`nrp add alias ${cli.server.url} typo --force`);
      expect(r.stderr).not.toContain(cli.server.tokens.owner);
    });

    it("long garbage in the configuration is cut in the error", async () => {
      const config = `${cli.home.home}/garbage.yaml`;
      const garbage = "x".repeat(5000);
      await writeFile(config, `repositories:\n  - alias: g\n    server_url: ${garbage}\n`);
      const r = await nrp(["--config", config, "describe", "repository"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("(5000 characters)");
      expect(r.stderr.length).toBeLessThan(600);
    });
  });

  describe("a URL without a scheme", () => {
    it("suggests http:// when the server answers in plain HTTP, and never a flag already given", async () => {
      const host = cli.server.url.slice("http://".length);
      for (const extra of [[], ["--no-verify"]]) {
        const r = await nrp([
          "--config",
          `${cli.home.home}/scheme.yaml`,
          "add",
          "alias",
          host,
          "local",
          "--skip-token",
          ...extra,
        ]);
        expect(r.code).toBe(6);
        expect(r.stderr).toContain("the server answered in plain HTTP, not TLS");
        expect(r.stderr).toContain(`add it as http://${host}.`);
        expect(r.stderr).not.toContain("--no-verify");
        expect(r.stderr).not.toContain("certificate");
      }
    });
  });

  describe("ids pasted from tables", () => {
    it("get record takes a bare id: the published record, else the caller's draft", async () => {
      const hits = jsonOf(await nrp(["search", "soil", "--format", "json"])) as unknown as Json[];
      const publishedId = hits[0]?.["id"] as string;
      const got = jsonOf(await nrp(["get", "record", publishedId]));
      expect(got["metadata"]["title"]).toBe("Soil samples of Moravia");

      const created = jsonOf(
        await nrp(["create", "record", "documents", '{"title": "Bare draft"}', "--no-files"]),
      );
      const draft = jsonOf(await nrp(["get", "record", created["id"] as string]));
      expect(draft["metadata"]["title"]).toBe("Bare draft");
      const explicit = jsonOf(await nrp(["get", "record", `draft/${created["id"] as string}`]));
      expect(explicit["id"]).toBe(created["id"]);
    });

    it("an unknown bare id is not found in any model, in the CLI's words", async () => {
      const r = await nrp(["get", "record", "zzzzz-99999"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("No record or draft zzzzz-99999 in any model");
      expect(r.stderr).not.toContain("recordGetter");
    });

    it("an id of no known form names the forms without library names", async () => {
      const r = await nrp(["get", "record", "a/b/c/d"]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain("recordGetter");
      expect(r.stderr).toContain('Name a record as "model/id"');
    });

    it("download file of a draft's file by the record id finds the draft", async () => {
      const created = jsonOf(
        await nrp(["create", "record", "documents", '{"title": "Draft with a file"}']),
      );
      const id = created["id"] as string;
      const source = `${cli.work}/notes.txt`;
      await writeFile(source, "draft file content\n");
      const up = await nrp(["upload", "file", id, source]);
      expect(up.code, up.stderr).toBe(0);
      for (const name of [id, `documents/${id}`]) {
        const out = `${cli.work}/out-${name.replace("/", "_")}`;
        const r = await nrp(["download", "file", name, "notes.txt", "-o", `${out}/`]);
        expect(r.code, r.stderr).toBe(0);
        expect(await readFile(`${out}/notes.txt`, "utf8")).toBe("draft file content\n");
      }
    });
  });

  describe("polish", () => {
    it("get record --fields prints only those fields", async () => {
      const hits = jsonOf(await nrp(["search", "soil", "--format", "json"])) as unknown as Json[];
      const id = hits[0]?.["id"] as string;
      const r = jsonOf(await nrp(["get", "record", id, "--fields", "id,metadata.title"]));
      expect(r).toEqual([{ id, metadata: { title: "Soil samples of Moravia" } }]);
    });

    it("a declined confirmation exits without an error message", async () => {
      const created = jsonOf(
        await nrp(["create", "record", "documents", '{"title": "Keep me"}', "--no-files"]),
      );
      const r = await nrp(["delete", "record", created["id"] as string], { answers: ["n"] });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Nothing was deleted.");
      expect(r.stderr).not.toContain("Error");
    });

    it("an alias URL with a path warns", async () => {
      const r = await nrp([
        "--config",
        `${cli.home.home}/path.yaml`,
        "add",
        "alias",
        `${cli.server.url}/api/records`,
        "pathy",
        "--skip-token",
      ]);
      expect(r.stderr).toContain(`has a path (/api/records)`);
      expect(r.stderr).toContain(`Add it as ${cli.server.url}`);
    });

    it("a query syntax error hints at the cause", async () => {
      const quote = await nrp(["search", "records", 'metadata.title:"soil']);
      expect(quote.code).toBe(5);
      expect(quote.stderr).toContain('The query has an unclosed double quote (").');
      const paren = await nrp(["search", "title:(soil"]);
      expect(paren.code).toBe(5);
      expect(paren.stderr).toContain("an opening parenthesis that is never closed");
    });
  });
});

describe("nrp completion", () => {
  /** Runs the bash completion function for the words typed so far (the last one being completed). */
  function complete(script: string, words: string[]): string[] {
    const program =
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
      `COMP_CWORD=${String(words.length - 1)}; _nrp_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync("bash", ["--norc", "--noprofile", "-c", program], {
      encoding: "utf8",
    });
    return out.split("\n").filter((l) => l !== "");
  }

  it("bash completes verbs, nouns and a command's options", async () => {
    const r = await run(["completion", "bash"]);
    expect(r.code, r.stderr).toBe(0);
    expect(complete(r.stdout, ["nrp", "se"])).toEqual(expect.arrayContaining(["search", "select"]));
    expect(complete(r.stdout, ["nrp", "get", "rec"])).toEqual(["record", "records"]);
    expect(complete(r.stdout, ["nrp", "--alias", "x", "get", "record", "--fie"])).toEqual([
      "--fields",
    ]);
    expect(complete(r.stdout, ["nrp", "--format", "js"])).toEqual(["json", "jsonl"]);
  });

  it("zsh and fish scripts, and a usage error for another shell", async () => {
    const zsh = await run(["completion", "zsh"]);
    expect(zsh.stdout).toContain("bashcompinit");
    const fish = await run(["completion", "fish"]);
    expect(fish.stdout).toContain('complete -c nrp -n "__fish_use_subcommand"');
    expect(fish.stdout).toContain("-l fields");
    const other = await run(["completion", "tcsh"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('No completion for the shell "tcsh"');
  });
});

describe("curators and batches of requests", () => {
  const cli = useDevserverCli({
    server: {
      config: {
        models: {
          datasets: {
            features: ["requests", "drafts", "files"],
            publishing: "curated",
            requireCommunity: true,
          },
        },
      },
    },
  });
  const { nrp } = cli;
  const curator = (argv: string[]) => nrp(["--alias", "cur", ...argv]);

  beforeAll(async () => {
    const r = await nrp([
      "add",
      "alias",
      cli.server.url,
      "cur",
      "--token",
      cli.server.tokens.curator,
    ]);
    expect(r.code, r.stderr).toBe(0);
  });

  async function batch(name: string, titles: string[]): Promise<Json[]> {
    const created = await nrp([
      "create",
      "record",
      "datasets",
      JSON.stringify(titles.map((title) => ({ title }))),
      "--community",
      "physics",
      "--no-files",
      "--set",
      name,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const pub = await nrp(["publish", "record", `@${name}`, "--set", `${name}q`]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stderr).toContain(
      `Published 0 of ${String(titles.length)} drafts; ${String(titles.length)} went to review.`,
    );
    const outcomes = JSON.parse(pub.stdout) as Json[];
    expect(outcomes.map((o) => o["outcome"] as string)).toEqual(
      titles.map(() => "submitted for review"),
    );
    return outcomes;
  }

  it("publish record takes a multi-valued variable, with one result per item", async () => {
    const outcomes = await batch("first", ["Alpha", "Beta"]);
    const stored = jsonOf(await nrp(["get", "variable", "firstq"]));
    expect(stored["values"]).toHaveLength(2);
    expect(outcomes[0]?.["item"]).toBe(1);
    // A multi-valued variable of requests: each is cancelled in turn, with a line each.
    const cancelled = await nrp(["cancel", "request", "@firstq"]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toContain("Cancelled 2 of 2 requests.");
    expect(cancelled.stderr.match(/^ok {6}cancelled publish_draft request/gm)).toHaveLength(2);
  });

  it("the inbox shows number, record title and community slug; accept by number or id prefix", async () => {
    const [one, two] = await batch("second", ["Gamma", "Delta"]);
    const table = await curator(["list", "requests", "--inbox", "--format", "table"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("Gamma");
    expect(table.stdout).toContain("physics");
    expect(table.stdout).toMatch(/#/);
    const inbox = jsonOf(await curator(["list", "requests", "--inbox"])) as unknown as Json[];
    const gamma = inbox.find((r) => r["id"] === one?.["result"]);
    const number = gamma?.["number"] as string;

    const byNumber = await curator(["accept", "request", number, "Looks good"]);
    expect(byNumber.code, byNumber.stderr).toBe(0);
    expect(jsonOf(byNumber)["id"]).toBe(one?.["result"]);

    const prefix = (two?.["result"] as string).slice(0, 8);
    const byPrefix = await curator(["decline", "request", prefix]);
    expect(byPrefix.code, byPrefix.stderr).toBe(0);
    expect(jsonOf(byPrefix)["status"]).toBe("declined");

    const none = await curator(["accept", "request", "99999"]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("No request you can see has the number 99999");
  });

  it("accept takes several requests, with a result line each and the first failure's exit code", async () => {
    const outcomes = await batch("third", ["Epsilon", "Zeta"]);
    const ids = outcomes.map((o) => o["result"] as string);
    const r = await curator(["accept", "request", ...ids, "--reason", "Batch accepted"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Accepted 2 of 2 requests.");
    expect((JSON.parse(r.stdout) as Json[]).map((q) => q["status"] as string)).toEqual([
      "accepted",
      "accepted",
    ]);
    const again = await curator(["accept", "request", ...ids]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("2 of 2 requests could not be accepted.");
  });

  it("a variable of another alias is explained: variables are per alias", async () => {
    const r = await curator(["accept", "request", "@firstq"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('variables are kept per alias, and @firstq exists under "dev"');
    expect(r.stderr).toContain("--alias dev");
  });
});

describe("the inbox on the rdm flavour", () => {
  const cli = useDevserverCli({ server: { flavour: "rdm" } });
  const { nrp } = cli;

  it("shows the record title and the community slug of a community submission", async () => {
    const cur = await nrp([
      "add",
      "alias",
      cli.server.url,
      "cur",
      "--token",
      cli.server.tokens.curator,
    ]);
    expect(cur.code, cur.stderr).toBe(0);
    const created = await nrp([
      "create",
      "record",
      "records",
      JSON.stringify({
        title: "Reviewed in RDM",
        resource_type: { id: "dataset" },
        creators: [{ person_or_org: { type: "personal", family_name: "Doe", given_name: "J" } }],
        publication_date: "2024-01-01",
      }),
      "--community",
      "physics",
      "--no-files",
      "--set",
      "rdm",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const pub = await nrp(["publish", "record", "@rdm"]);
    expect(pub.code, pub.stderr).toBe(0);
    const table = await nrp(["--alias", "cur", "list", "requests", "--inbox", "--format", "table"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/Reviewed in( |\s*│.*\n.*│ )RDM/);
    expect(table.stdout).toContain("physics");
  });
});
