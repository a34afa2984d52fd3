import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";

// Each layering rule of eslint.layering.js fires on a deliberate violation placed inside its
// layer, stays quiet on the imports the layer may make, and the real tree passes all of them.

const root = dirname(dirname(fileURLToPath(import.meta.url)));

interface LayeringModule {
  default: Linter.Config[];
  LAYERING_ALLOWLIST: Record<string, string[]>;
}

let eslint: ESLint;
let allowlist: Record<string, string[]>;

beforeAll(async () => {
  const layering = (await import(
    pathToFileURL(join(root, "eslint.layering.js")).href
  )) as LayeringModule;
  allowlist = layering.LAYERING_ALLOWLIST;
  // Only the layering rules, without type information: the parse is all they need.
  eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        linterOptions: { reportUnusedDisableDirectives: "off" },
        languageOptions: { parser: tseslint.parser, sourceType: "module" },
        plugins: { "@typescript-eslint": tseslint.plugin },
      },
      ...layering.default,
    ],
  });
});

/** The rule ids that fire on `code` placed at `filePath` (relative to the workspace root). */
async function firing(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  const messages = result?.messages ?? [];
  const fatal = messages.find((m) => m.fatal === true);
  if (fatal !== undefined) throw new Error(`${filePath}: ${fatal.message}`);
  return messages.map((m) => m.ruleId ?? "");
}

const PACKAGE_RULE = "no-restricted-imports";
const LAYER_RULE = "@typescript-eslint/no-restricted-imports";
const SYNTAX_RULE = "no-restricted-syntax";

// [what the rule says, file inside the layer, violating code, rule expected to fire]
const violations: [string, string, string, string][] = [
  [
    "the CLI never imports the client's internal files by path",
    "packages/cli/src/commands/record/get.ts",
    'import { HttpClient } from "../../../../client/src/internal/http.js";',
    PACKAGE_RULE,
  ],
  [
    "the CLI never imports a subpath of the client package",
    "packages/cli/src/main.ts",
    'import { redact } from "nrp-invenio-client/dist/internal/redact.js";',
    PACKAGE_RULE,
  ],
  [
    "CLI tests see the library as users do",
    "packages/cli/test/files.test.ts",
    'import { planParts } from "../../client/src/internal/transfer.js";',
    PACKAGE_RULE,
  ],
  [
    "the CLI never imports the devserver",
    "packages/cli/src/context.ts",
    'import { startDevServer } from "nrp-invenio-devserver";',
    PACKAGE_RULE,
  ],
  [
    "the client never imports the devserver",
    "packages/client/src/resources/files.ts",
    'import { Faults } from "../../../server/src/faults.js";',
    PACKAGE_RULE,
  ],
  [
    "the client never imports the CLI",
    "packages/client/src/client.ts",
    'import { main } from "nrp-invenio-cli";',
    PACKAGE_RULE,
  ],
  [
    "the devserver never imports the client",
    "packages/server/src/services/search.ts",
    'import { NRPInvenioClient } from "nrp-invenio-client";',
    PACKAGE_RULE,
  ],
  [
    "the devserver never imports the client's sources",
    "packages/server/src/http/app.ts",
    'import { redact } from "../../../client/src/internal/redact.js";',
    PACKAGE_RULE,
  ],
  [
    "the CLI never loads the client's internals with a dynamic import",
    "packages/cli/src/client-module.ts",
    'export const http = () => import("nrp-invenio-client/dist/internal/http.js");',
    SYNTAX_RULE,
  ],
  [
    "the CLI never loads the devserver with a dynamic import",
    "packages/cli/src/main.ts",
    'export const dev = () => import("../../server/src/index.js");',
    SYNTAX_RULE,
  ],
  [
    "the client never loads the CLI with a dynamic import",
    "packages/client/src/internal/http.ts",
    'export const cli = () => import("nrp-invenio-cli");',
    SYNTAX_RULE,
  ],
  [
    "the devserver never loads the client with a dynamic import",
    "packages/server/src/services/search.ts",
    'export const c = () => import("nrp-invenio-client");',
    SYNTAX_RULE,
  ],
  [
    "the client's core never reaches up into resources (types included)",
    "packages/client/src/core/options.ts",
    'import type { NRPRecord } from "../resources/records.js";',
    LAYER_RULE,
  ],
  [
    "the client's core never imports the client",
    "packages/client/src/core/config.ts",
    'import { NRPInvenioClient } from "../client.js";',
    LAYER_RULE,
  ],
  [
    "the client's internal never reaches up into resources",
    "packages/client/src/internal/http.ts",
    'import { Info } from "../resources/info.js";',
    LAYER_RULE,
  ],
  [
    "the client's internal never imports the package root",
    "packages/client/src/internal/retry.ts",
    'import { NRPError } from "../index.js";',
    LAYER_RULE,
  ],
  [
    "the devserver's store never imports services",
    "packages/server/src/store/records.ts",
    'import { searchService } from "../services/search.js";',
    LAYER_RULE,
  ],
  [
    "the devserver's store never imports http",
    "packages/server/src/store/users.ts",
    'import type { RequestContext } from "../http/context.js";',
    LAYER_RULE,
  ],
  [
    "the devserver's http layer never imports a service",
    "packages/server/src/http/app.ts",
    'import { recordsService } from "../services/records/service.js";',
    LAYER_RULE,
  ],
  [
    "devserver services do no file I/O",
    "packages/server/src/services/records/service.ts",
    'import { writeFile } from "node:fs/promises";',
    LAYER_RULE,
  ],
  [
    "devserver services do no file I/O (bare module name)",
    "packages/server/src/services/search.ts",
    'import { createReadStream } from "fs";',
    LAYER_RULE,
  ],
  [
    "devserver services never open SQLite",
    "packages/server/src/services/communities.ts",
    'import Database from "better-sqlite3";',
    LAYER_RULE,
  ],
  [
    "devserver services prepare no SQL",
    "packages/server/src/services/search.ts",
    'export const n = (store: { prepare(s: string): unknown }) => store.prepare("SELECT 1");',
    SYNTAX_RULE,
  ],
  [
    "devserver services never touch the database handle",
    "packages/server/src/services/requests/service.ts",
    "export const db = (app: { records: { db: unknown } }) => app.records.db;",
    SYNTAX_RULE,
  ],
];

// [what the layer may do, file inside the layer, allowed code]
const allowed: [string, string, string][] = [
  [
    "the CLI loads the package root lazily",
    "packages/cli/src/client-module.ts",
    'export const lib = () => import("nrp-invenio-client");',
  ],
  [
    "the CLI imports the package root",
    "packages/cli/src/main.ts",
    'import { NRPError } from "nrp-invenio-client";',
  ],
  [
    "CLI tests start the devserver",
    "packages/cli/test/files.test.ts",
    'import { startDevServer } from "nrp-invenio-devserver";',
  ],
  [
    "core uses internal helpers",
    "packages/client/src/core/config.ts",
    'import { redact } from "../internal/redact.js";',
  ],
  [
    "internal uses core",
    "packages/client/src/internal/http.ts",
    'import { NRPError } from "../core/errors.js";',
  ],
  [
    "resources use internal",
    "packages/client/src/resources/files.ts",
    'import { HttpClient } from "../internal/http.js";',
  ],
  [
    "services use the store",
    "packages/server/src/services/search.ts",
    'import { RecordStore } from "../store/records.js";',
  ],
  [
    "services use http helpers",
    "packages/server/src/services/search.ts",
    'import { sendJson } from "../http/respond.js";',
  ],
  [
    "services run regular expressions",
    "packages/server/src/services/query.ts",
    'export const m = /a/.exec("a");',
  ],
  [
    "the store uses SQLite and files",
    "packages/server/src/store/files.ts",
    'import Database from "better-sqlite3";\nimport { rm } from "node:fs/promises";',
  ],
];

describe("layering lint rules", () => {
  it.each(violations)("%s", async (_what, filePath, code, rule) => {
    expect(await firing(code, filePath)).toContain(rule);
  });

  it.each(allowed)("allows: %s", async (_what, filePath, code) => {
    expect(await firing(code, filePath)).toEqual([]);
  });

  it("every allowlisted file still breaks the rule it is excused from", async () => {
    // The file's own text, linted as if it were a sibling outside the allowlist.
    const stale: string[] = [];
    for (const [group, files] of Object.entries(allowlist)) {
      for (const file of files) {
        const code = await readFile(join(root, file), "utf8");
        const sibling = join(dirname(file), "allowlist-probe.ts");
        const rules = await firing(code, sibling);
        const rule = group === "servicesSql" ? SYNTAX_RULE : LAYER_RULE;
        if (!rules.includes(rule)) stale.push(`${group}: ${file}`);
      }
    }
    expect(stale, "no longer needed: remove from LAYERING_ALLOWLIST in eslint.layering.js").toEqual(
      [],
    );
  });

  it("the real tree passes every layering rule", async () => {
    const results = await eslint.lintFiles(["packages/*/src/**/*.ts", "packages/*/test/**/*.ts"]);
    expect(results.length).toBeGreaterThan(100);
    const broken = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.message}`),
    );
    expect(broken).toEqual([]);
  });
});
