import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, NRPConfig, NRPInvenioClient } from "nrp-invenio-client";

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nrp-config-"));
  file = join(dir, "config.yaml");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const SAMPLE = `
repositories:
  - alias: test
    server_url: https://test.example.org/
    token: file-token
    verify: false
    retry_count: 3
    retry_interval: 2
  - alias: old
    url: https://old.example.org
default_repository: test
`;

describe("NRPConfig.load", () => {
  it("a missing file is an empty configuration", async () => {
    const config = await NRPConfig.load(file);
    expect(config.repositories).toEqual([]);
    expect(config.defaultRepository).toBeUndefined();
    expect(config.path).toBe(file);
  });

  it("reads server_url and the older url key", async () => {
    await writeFile(file, SAMPLE);
    const config = await NRPConfig.load(file);
    expect(config.repositories).toEqual([
      {
        alias: "test",
        serverUrl: "https://test.example.org",
        token: "file-token",
        verify: false,
        retryCount: 3,
        retryInterval: 2,
      },
      { alias: "old", serverUrl: "https://old.example.org" },
    ]);
    expect(config.getRepository().alias).toBe("test");
    expect(config.getRepository("old").serverUrl).toBe("https://old.example.org");
  });

  it.each<[string, string, string | undefined]>([
    ["invalid YAML", "repositories: [\n  - alias: x", undefined],
    ["top level is a list", "- a\n- b\n", undefined],
    ["repositories not a list", "repositories: 3\n", "repositories"],
    ["repository not a mapping", "repositories:\n  - just-a-string\n", "repositories[0]"],
    ["missing alias", "repositories:\n  - server_url: https://x\n", "repositories[0].alias"],
    ["missing server_url", "repositories:\n  - alias: a\n", "repositories[0].server_url"],
    [
      "bad URL",
      "repositories:\n  - alias: a\n    server_url: not a url\n",
      "repositories[0].server_url",
    ],
    ["ftp URL", "repositories:\n  - alias: a\n    url: ftp://x\n", "repositories[0].url"],
    [
      "token not a string",
      "repositories:\n  - alias: a\n    url: https://x\n    token: 12\n",
      "repositories[0].token",
    ],
    [
      "verify wrong type",
      "repositories:\n  - alias: a\n    url: https://x\n    verify: 3\n",
      "repositories[0].verify",
    ],
    [
      "retry_count wrong type",
      "repositories:\n  - alias: a\n    url: https://x\n  - alias: b\n    url: https://y\n    retry_count: many\n",
      "repositories[1].retry_count",
    ],
    [
      "negative retry_count",
      "repositories:\n  - alias: a\n    url: https://x\n    retry_count: -1\n",
      "repositories[0].retry_count",
    ],
    [
      "retry_interval wrong type",
      "repositories:\n  - alias: a\n    url: https://x\n    retry_interval: soon\n",
      "repositories[0].retry_interval",
    ],
    [
      "duplicate alias",
      "repositories:\n  - alias: a\n    url: https://x\n  - alias: a\n    url: https://y\n",
      "repositories[1].alias",
    ],
    ["default not a string", "repositories: []\ndefault_repository: [a]\n", "default_repository"],
  ])("%s → ConfigError naming the file and key", async (_name, text, key) => {
    await writeFile(file, text);
    const error = await configError(NRPConfig.load(file));
    expect(error.file).toBe(file);
    expect(error.key).toBe(key);
    expect(error.message).toContain(file);
    if (key) expect(error.message).toContain(key);
    expect(error.hint).toBeTruthy();
  });

  it("exponentially nested YAML aliases are a ConfigError, not an expansion", async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of ["ab", "bc", "cd", "de", "ef", "fg", "gh", "hi"]) {
      lines.push(
        `${name ?? ""}: &${name ?? ""} [${Array(9)
          .fill(`*${prev ?? ""}`)
          .join(",")}]`,
      );
    }
    await writeFile(file, `${lines.join("\n")}\nrepositories: []\n`);
    const error = await configError(NRPConfig.load(file));
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/aliases/);
    expect(error.hint).toBeTruthy();
  });

  it("unknown alias lists the known ones", async () => {
    await writeFile(file, SAMPLE);
    const config = await NRPConfig.load(file);
    let error: unknown;
    try {
      config.getRepository("nope");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("test, old");
    expect((error as ConfigError).file).toBe(file);
  });

  it("defaultPath honours NRP_INVENIO_CLIENT_CONFIG_FILE", () => {
    expect(NRPConfig.defaultPath({ NRP_INVENIO_CLIENT_CONFIG_FILE: file })).toBe(file);
    expect(NRPConfig.defaultPath({})).toMatch(/\.nrp[/\\]config\.yaml$/);
  });

  it("defaultPath lives under the HOME of the environment it is given", () => {
    expect(NRPConfig.defaultPath({ HOME: dir })).toBe(join(dir, ".nrp", "config.yaml"));
  });
});

describe("NRPConfig editing and saving", () => {
  it("round-trips through save and load with 0600/0700 modes", async () => {
    const nested = join(dir, "sub", "config.yaml");
    const config = await NRPConfig.load(nested);
    config.addRepository({ alias: "a", serverUrl: "https://a.example.org/", token: "t-a" });
    config.addRepository(
      {
        alias: "b",
        serverUrl: "https://b.example.org",
        verify: "/ca.pem",
        retryCount: 2,
        retryInterval: 0.5,
      },
      { default: true },
    );
    await config.save();
    expect((await stat(nested)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "sub"))).mode & 0o777).toBe(0o700);
    const text = await readFile(nested, "utf8");
    expect(text).toContain("server_url: https://a.example.org");
    expect(text).toContain("default_repository: b");
    const again = await NRPConfig.load(nested);
    expect(again.repositories).toEqual(config.repositories);
    expect(again.defaultRepository).toBe("b");
  });

  it("tightens a file that had looser permissions", async () => {
    await writeFile(file, SAMPLE, { mode: 0o644 });
    await chmod(file, 0o644);
    const config = await NRPConfig.load(file);
    await config.save();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("adds, replaces, selects and removes", async () => {
    const config = await NRPConfig.load(file);
    config.addRepository({ alias: "a", serverUrl: "https://a" });
    expect(config.defaultRepository).toBe("a");
    expect(() => {
      config.addRepository({ alias: "a", serverUrl: "https://other" });
    }).toThrow(ConfigError);
    config.addRepository({ alias: "a", serverUrl: "https://other" }, { replace: true });
    expect(config.getRepository("a").serverUrl).toBe("https://other");
    config.addRepository({ alias: "b", serverUrl: "https://b" });
    config.setDefault("b");
    expect(config.getRepository().alias).toBe("b");
    expect(() => {
      config.setDefault("zzz");
    }).toThrow(ConfigError);
    config.removeRepository("b");
    expect(config.defaultRepository).toBeUndefined();
    expect(config.getRepository().alias).toBe("a");
    expect(() => {
      config.addRepository({ alias: "c", serverUrl: "nope" });
    }).toThrow(ConfigError);
  });

  it("save failure is a ConfigError naming the file", async () => {
    const blocker = join(dir, "blocker");
    await writeFile(blocker, "");
    const config = new NRPConfig(join(blocker, "config.yaml"));
    const error = await configError(config.save());
    expect(error.file).toBe(join(blocker, "config.yaml"));
  });

  it("hides tokens when printed", async () => {
    await writeFile(file, SAMPLE);
    const config = await NRPConfig.load(file);
    expect(inspect(config)).not.toContain("file-token");
    expect(JSON.stringify(config)).not.toContain("file-token");
  });
});

describe("NRPInvenioClient.fromConfig", () => {
  const clients: NRPInvenioClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  async function fromConfig(...args: Parameters<typeof NRPInvenioClient.fromConfig>) {
    const client = await NRPInvenioClient.fromConfig(...args);
    clients.push(client);
    return client;
  }

  it("precedence: file < environment < overrides", async () => {
    await writeFile(file, SAMPLE);
    const fileOnly = await fromConfig({ configFile: file, env: {} });
    expect(fileOnly.options).toMatchObject({
      serverUrl: "https://test.example.org",
      token: "file-token",
      verify: false,
      retryCount: 3,
      retryInterval: 2,
    });
    const env = {
      NRP_INVENIO_CLIENT_TOKEN: "env-token",
      NRP_INVENIO_CLIENT_RETRY_COUNT: "5",
      NRP_INVENIO_CLIENT_VERIFY: "true",
    };
    const withEnv = await fromConfig({ configFile: file, env });
    expect(withEnv.options).toMatchObject({
      serverUrl: "https://test.example.org",
      token: "env-token",
      verify: true,
      retryCount: 5,
      retryInterval: 2,
    });
    const withOverrides = await fromConfig({
      configFile: file,
      env,
      overrides: { retryCount: 1, timeout: 5 },
    });
    expect(withOverrides.options).toMatchObject({
      token: "env-token",
      retryCount: 1,
      timeout: 5,
      retryInterval: 2,
    });
  });

  it("selects the alias from the option, then the environment", async () => {
    await writeFile(file, SAMPLE);
    expect(
      (await fromConfig({ configFile: file, env: { NRP_INVENIO_CLIENT_ALIAS: "old" } })).serverUrl,
    ).toBe("https://old.example.org");
    expect(
      (
        await fromConfig({
          alias: "test",
          configFile: file,
          env: { NRP_INVENIO_CLIENT_ALIAS: "old" },
        })
      ).serverUrl,
    ).toBe("https://test.example.org");
  });

  it("finds the file through NRP_INVENIO_CLIENT_CONFIG_FILE", async () => {
    await writeFile(file, SAMPLE);
    const client = await fromConfig({ env: { NRP_INVENIO_CLIENT_CONFIG_FILE: file } });
    expect(client.serverUrl).toBe("https://test.example.org");
  });

  it("works from the environment alone when no file exists", async () => {
    const client = await fromConfig({
      configFile: join(dir, "missing.yaml"),
      env: {
        NRP_INVENIO_CLIENT_SERVER_URL: "http://127.0.0.1:1/",
        NRP_INVENIO_CLIENT_RETRY_INTERVAL: "0.5",
        NRP_INVENIO_CLIENT_VERIFY: "false",
      },
    });
    expect(client.options).toMatchObject({
      serverUrl: "http://127.0.0.1:1",
      retryInterval: 0.5,
      verify: false,
    });
  });

  it.each([
    ["NRP_INVENIO_CLIENT_RETRY_COUNT", "ten"],
    ["NRP_INVENIO_CLIENT_RETRY_COUNT", "-1"],
    ["NRP_INVENIO_CLIENT_RETRY_INTERVAL", "soon"],
    ["NRP_INVENIO_CLIENT_SERVER_URL", "nope"],
  ])("a bad %s=%s names the variable", async (name, value) => {
    await writeFile(file, SAMPLE);
    const error = await configError(fromConfig({ configFile: file, env: { [name]: value } }));
    expect(error.key).toBe(name);
    expect(error.message).toContain(name);
  });

  it("an unknown alias is a ConfigError naming the file", async () => {
    await writeFile(file, SAMPLE);
    const error = await configError(fromConfig({ alias: "nope", configFile: file, env: {} }));
    expect(error.file).toBe(file);
    expect(error.message).toContain("Known aliases: test, old");
  });

  it("no file and no environment is a ConfigError with the fix", async () => {
    const error = await configError(fromConfig({ configFile: join(dir, "missing.yaml"), env: {} }));
    expect(error.message).toMatch(/nrp add alias/);
  });

  it("an unreadable CA bundle names the variable or the file key it came from", async () => {
    const missing = join(dir, "nope.pem");
    const fromEnv = await configError(
      fromConfig({
        configFile: join(dir, "missing.yaml"),
        env: { NRP_INVENIO_CLIENT_SERVER_URL: "https://x", NRP_INVENIO_CLIENT_VERIFY: missing },
      }),
    );
    expect(fromEnv.message).toContain(missing);
    expect(fromEnv.key).toBe("NRP_INVENIO_CLIENT_VERIFY");
    await writeFile(file, SAMPLE.replace("verify: false", `verify: ${missing}`));
    const fromFile = await configError(fromConfig({ configFile: file, env: {} }));
    expect(fromFile.file).toBe(file);
    expect(fromFile.key).toBe("repositories[0].verify");
    expect(fromFile.message).toContain(missing);
    expect(fromFile.message).toContain("repositories[0].verify");
  });

  it("does not send the file's token to a server named elsewhere", async () => {
    await writeFile(file, SAMPLE);
    const moved = await fromConfig({
      configFile: file,
      env: { NRP_INVENIO_CLIENT_SERVER_URL: "https://elsewhere.example.org" },
    });
    expect(moved.serverUrl).toBe("https://elsewhere.example.org");
    expect(moved.options.token).toBeUndefined();
    const sameOrigin = await fromConfig({
      configFile: file,
      overrides: { serverUrl: "https://test.example.org/" },
      env: {},
    });
    expect(sameOrigin.options.token).toBe("file-token");
    const explicit = await fromConfig({
      configFile: file,
      env: {
        NRP_INVENIO_CLIENT_SERVER_URL: "https://elsewhere.example.org",
        NRP_INVENIO_CLIENT_TOKEN: "env-token",
      },
    });
    expect(explicit.options.token).toBe("env-token");
  });
});
