import { existsSync } from "node:fs";
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DevServerConfigError, resolveConfig, startDevServer } from "nrp-invenio-devserver";
import { openStore } from "../src/store/store.js";
import { call, send } from "./helpers.js";
import { bytes, filesDraft, putBytes, uploadL } from "./files-helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "devserver-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("persistence", () => {
  test("a data directory keeps users and tokens across a restart", async () => {
    const first = await startDevServer({ dataDir: dir });
    const tokens = { ...first.tokens };
    expect(first.dataDir).toBe(dir);
    await first.close();
    expect(existsSync(join(dir, "devserver.sqlite3"))).toBe(true);
    expect(existsSync(join(dir, "files"))).toBe(true);

    const second = await startDevServer({ dataDir: dir });
    try {
      expect(second.tokens).toEqual(tokens);
      const res = await call(`${second.url}/api/user/search/`, { token: tokens.depositor });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });

  test("the database is in WAL mode with a recorded schema version", async () => {
    const server = await startDevServer({ dataDir: dir });
    await server.close();
    const db = new BetterSqlite3(join(dir, "devserver.sqlite3"), { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const versions = db.prepare("SELECT version FROM schema_migrations").all();
      expect(versions).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
        { version: 4 },
        { version: 5 },
        { version: 6 },
        { version: 7 },
        { version: 8 },
        { version: 9 },
      ]);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name);
      expect(tables).toEqual(
        expect.arrayContaining([
          "meta",
          "users",
          "tokens",
          "parents",
          "records",
          "drafts",
          "communities",
          "pids",
        ]),
      );
    } finally {
      db.close();
    }
  });

  test("a newer schema than this build knows is refused with a clear message", async () => {
    await (await startDevServer({ dataDir: dir })).close();
    const db = new BetterSqlite3(join(dir, "devserver.sqlite3"));
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").run();
    db.close();
    await expect(startDevServer({ dataDir: dir })).rejects.toThrow(/schema version 999/);
  });

  test("users added in the config are seeded next to the built-in ones", async () => {
    const server = await startDevServer({
      dataDir: dir,
      config: { users: [{ username: "alice", roles: ["curator"] }] },
    });
    try {
      const alice = server.users.find((u) => u.username === "alice");
      expect(alice).toMatchObject({ email: "alice@example.org", roles: ["curator"] });
      expect(
        (await call(`${server.url}/api/user/search/`, { token: alice?.token ?? "" })).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
  });

  test("a data directory's connection keeps SQLite's default page cache", async () => {
    // A large page cache made every commit that split a b-tree page walk all of it (see
    // openStore); bench/RESULTS.md has the figures.
    const store = await openStore({ dataDir: dir });
    try {
      expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(store.db.pragma("cache_size", { simple: true })).toBe(-2000);
    } finally {
      await store.close();
    }
  });

  test("memory mode uses a temporary directory removed on close", async () => {
    const store = await openStore({});
    expect(store.ephemeral).toBe(true);
    expect(existsSync(join(store.dataDir, "files"))).toBe(true);
    await store.close();
    expect(existsSync(store.dataDir)).toBe(false);
    const server = await startDevServer({ memory: true });
    expect(server.dataDir).toBeUndefined();
    await server.close();
  });

  test("two in-memory servers have different tokens", async () => {
    const [a, b] = await Promise.all([startDevServer(), startDevServer()]);
    expect(a.tokens.owner).not.toBe(b.tokens.owner);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("the blob directory is the store's own", () => {
  const blob = "2d5b8f3a-9e4c-4f6d-b0a1-3c4d5e6f7081";

  test("a files/ directory with someone else's files is refused and left untouched", async () => {
    await mkdir(join(dir, "files"));
    await writeFile(join(dir, "files", "thesis.pdf"), "mine");
    await writeFile(join(dir, "files", blob), "looks like a blob");
    await expect(startDevServer({ dataDir: dir })).rejects.toThrow(
      /files already exists and was not created by the devserver/,
    );
    expect((await readdir(join(dir, "files"))).sort()).toEqual([blob, "thesis.pdf"]);
    expect(await readFile(join(dir, "files", "thesis.pdf"), "utf8")).toBe("mine");
  });

  test("a files/ that is a symbolic link is refused and its target left untouched", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "devserver-target-"));
    try {
      await writeFile(join(elsewhere, "photo.jpg"), "precious");
      await symlink(elsewhere, join(dir, "files"));
      await expect(startDevServer({ dataDir: dir })).rejects.toThrow(DevServerConfigError);
      expect(await readdir(elsewhere)).toEqual(["photo.jpg"]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  test("the start-up sweep deletes only unreferenced blobs, never other names or symlinks", async () => {
    const first = await startDevServer({ dataDir: dir });
    await first.close();
    const outside = join(dir, "outside.txt");
    await writeFile(outside, "keep me");
    await writeFile(join(dir, "files", "notes.txt"), "user file");
    await mkdir(join(dir, "files", "sub"));
    await writeFile(join(dir, "files", "sub", "inner.txt"), "nested");
    const linked = "3e6c9a4b-0f5d-4a7e-81b2-4d5e6f708192";
    await symlink(outside, join(dir, "files", linked));
    await writeFile(join(dir, "files", blob), "orphan blob");

    const second = await startDevServer({ dataDir: dir });
    await second.close();
    const left = await readdir(join(dir, "files"));
    expect(left).not.toContain(blob);
    expect(left).toEqual(expect.arrayContaining(["notes.txt", "sub", linked]));
    expect(await readFile(outside, "utf8")).toBe("keep me");
    expect(await readFile(join(dir, "files", "sub", "inner.txt"), "utf8")).toBe("nested");
  });

  test("a data directory an earlier version wrote (blobs, no marker) is adopted", async () => {
    const first = await startDevServer({ dataDir: dir });
    await first.close();
    await rm(join(dir, "files", ".nrp-devserver-blobs"));
    await writeFile(join(dir, "files", blob), "orphan blob");
    const second = await startDevServer({ dataDir: dir });
    await second.close();
    expect(await readdir(join(dir, "files"))).toEqual([".nrp-devserver-blobs"]);
  });
});

describe("the data directory is owner-only", () => {
  const mode = async (path: string): Promise<string> =>
    ((await stat(path)).mode & 0o777).toString(8);

  test("the directory, database, WAL, SHM and every blob are 0700/0600 whatever the umask", async () => {
    const data = join(dir, "data");
    const previous = process.umask(0o022);
    try {
      const server = await startDevServer({ dataDir: data });
      try {
        const { files } = await filesDraft(server);
        await uploadL(server, files, "one.bin", bytes(100));
        const init = await send("POST", files, {
          token: server.tokens.owner,
          body: [{ key: "m.bin", size: 20, transfer: { type: "M", parts: 2, part_size: 10 } }],
        });
        expect(init.status).toBe(201);
        const part = await putBytes(`${files}/m.bin/content/1`, server.tokens.owner, bytes(10));
        expect(part.status).toBe(200);
        expect(await mode(data)).toBe("700");
        expect(await mode(join(data, "files"))).toBe("700");
        for (const name of [
          "devserver.sqlite3",
          "devserver.sqlite3-wal",
          "devserver.sqlite3-shm",
        ]) {
          expect([name, await mode(join(data, name))]).toEqual([name, "600"]);
        }
        const blobs = await readdir(join(data, "files"));
        expect(blobs.length).toBe(3); // the marker, one.bin, and m.bin holding part 1 in place
        for (const name of blobs) {
          expect([name, await mode(join(data, "files", name))]).toEqual([name, "600"]);
        }
      } finally {
        await server.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  test("a data directory an earlier version left world-readable is made owner-only", async () => {
    const data = join(dir, "data");
    const first = await startDevServer({ dataDir: data });
    await first.close();
    await chmod(data, 0o755);
    await chmod(join(data, "files"), 0o755);
    await chmod(join(data, "devserver.sqlite3"), 0o644);
    const second = await startDevServer({ dataDir: data });
    try {
      expect(await mode(data)).toBe("700");
      expect(await mode(join(data, "files"))).toBe("700");
      expect(await mode(join(data, "devserver.sqlite3"))).toBe("600");
    } finally {
      await second.close();
    }
  });
});

describe("configuration", () => {
  test("a YAML config file defines repository, models and users", async () => {
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      [
        "repository:",
        "  name: Test repo",
        "models:",
        "  articles:",
        "    description: Articles",
        "    version: 2.0.0",
        "    features: [files, drafts]",
        "    schema:",
        "      type: object",
        "      properties:",
        "        title: {type: string}",
        "        year: {type: integer, minimum: 1900}",
        "      required: [title]",
        "users:",
        "  - username: bob",
        "    email: bob@example.com",
      ].join("\n"),
    );
    const server = await startDevServer({ configFile: file });
    try {
      const models = await call(`${server.url}/.well-known/repository/models`);
      expect(models.body[0]).toMatchObject({
        type: "articles",
        schema: "local://articles-2.0.0.json",
        features: ["drafts", "files"],
      });
      const info = await call(`${server.url}/.well-known/repository/`);
      expect(info.body).toMatchObject({ name: "Test repo", default_model: "articles" });
      expect(server.users.map((u) => u.username)).toContain("bob");
    } finally {
      await server.close();
    }
  });

  test.each([
    [
      { modles: {} },
      "config option: modles: unknown key (expected one of: repository, models, users, communities",
    ],
    [{ models: {} }, "config option: models: at least one model is needed"],
    [{ models: { user: {} } }, "config option: models.user: 'user' is reserved by the API"],
    [{ models: { Bad: {} } }, "config option: models.Bad: a model name must be"],
    [
      { models: { a: { features: ["drafts", "wings"] } } },
      'config option: models.a.features[1]: must be one of requests, drafts, files (got "wings")',
    ],
    [
      { models: { a: { schema: { type: "object", properties: { t: { type: "text" } } } } } },
      "config option: models.a.schema.properties.t.type: must be one of",
    ],
    [
      { models: { a: { schema: { type: "object", required: ["t"] } } } },
      "config option: models.a.schema.required: 't' is not one of the properties",
    ],
    [
      { models: { a: { schema: { type: "array", items: { type: "string" } } } } },
      "config option: models.a.schema.type: the metadata schema must be an object",
    ],
    [
      { users: [{ username: "x", email: "nope" }] },
      "config option: users[0].email: must be an e-mail address",
    ],
    [{ repository: { name: 3 } }, "config option: repository.name: must be a string (got 3)"],
    [
      { repository: { doiPrefix: "11.1" } },
      "config option: repository.doiPrefix: must be a DOI prefix such as 10.83030",
    ],
    [
      { models: { a: { publishing: "moderated" } } },
      'config option: models.a.publishing: must be direct or curated (got "moderated")',
    ],
    [
      { models: { a: { requireCommunity: "yes" } } },
      "config option: models.a.requireCommunity: must be true or false",
    ],
    [{ models: { a: { mintDoi: 1 } } }, "config option: models.a.mintDoi: must be true or false"],
    [{ models: { dois: {} } }, "config option: models.dois: 'dois' is reserved by the API"],
    [{ communities: {} }, "config option: communities: must be a list"],
    [
      { communities: [{ slug: "Physics!" }] },
      "config option: communities[0].slug: must be lower-case letters",
    ],
    [
      { communities: [{ slug: "a", id: "not-a-uuid" }] },
      "config option: communities[0].id: must be a UUID",
    ],
    [
      { communities: [{ slug: "a" }, { slug: "a" }] },
      "config option: communities[1]: 'a' names two communities",
    ],
    [{ maxFileSize: "10GB" }, "config option: maxFileSize: must be a whole number of bytes"],
    [{ maxFileSize: 0 }, "config option: maxFileSize: must be a whole number of bytes"],
  ])("rejects %j", (config, message) => {
    expect(() => resolveConfig(config, "config option")).toThrow(DevServerConfigError);
    expect(() => resolveConfig(config, "config option")).toThrow(message);
  });

  test("model policies and communities take their defaults", () => {
    const config = resolveConfig({ models: { a: {} }, communities: [{ slug: "chem" }] }, "x");
    expect(config.maxFileSize).toBe(10 * 10 ** 9);
    expect(config.models[0]).toMatchObject({
      requireCommunity: false,
      publishing: "direct",
      mintDoi: false,
    });
    expect(config.communities).toEqual([
      {
        slug: "chem",
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5/),
        title: "chem",
        curators: ["curator"],
        roles: { curator: ["curator"] },
      },
    ]);
    expect(resolveConfig({ communities: [{ slug: "chem" }] }, "x").communities[0]?.id).toBe(
      config.communities[0]?.id,
    );
    const defaults = resolveConfig(undefined, "x");
    expect(defaults.repository.doiPrefix).toBe("10.83030");
    expect(
      defaults.models.map((m) => [m.type, m.requireCommunity, m.publishing, m.mintDoi]),
    ).toEqual([
      ["datasets", true, "curated", false],
      ["documents", false, "direct", true],
    ]);
  });

  test("a broken or missing file names the file", async () => {
    const file = join(dir, "broken.yaml");
    await writeFile(file, "models: [unclosed");
    await expect(startDevServer({ configFile: file })).rejects.toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid YAML or JSON`),
    );
    await expect(startDevServer({ configFile: join(dir, "none.yaml") })).rejects.toThrow(
      /none\.yaml: file not found/,
    );
    const json = join(dir, "c.json");
    await writeFile(json, JSON.stringify({ models: { m: { metadata: "yes" } } }));
    await expect(startDevServer({ configFile: json })).rejects.toThrow(
      `${json}: models.m.metadata: must be true or false`,
    );
  });

  test("conflicting options are refused", async () => {
    await expect(startDevServer({ dataDir: dir, memory: true })).rejects.toThrow(
      /either dataDir or memory/,
    );
    await expect(startDevServer({ port: 70000 })).rejects.toThrow(/port/);
  });
});
