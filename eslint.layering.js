// The layering of the workspace as lint rules: every "never" of docs/architecture.md, so that a
// change breaking one fails `npm run lint` instead of waiting for a reviewer to notice.
// test/lint-layering.test.ts lints a deliberate violation of each rule and the real tree.
//
// Package boundaries use ESLint's `no-restricted-imports`, the layers inside a package
// typescript-eslint's copy of it (`@typescript-eslint/no-restricted-imports`), so that a file in
// both a package and a layer gets both lists (one rule's options would replace the other's).
// Imports in this workspace are package names or relative specifiers, which the patterns match
// (gitignore syntax, as ESLint documents for `patterns.group`).

/** Package boundaries: the library needs neither the CLI nor the devserver, and so on. */
// `dynamic` is the same rule for `import("…")`, which `no-restricted-imports` does not see: a
// regular expression for esquery (`\x2F` stands for `/`, which an esquery regex cannot hold).
const CLIENT_INTERNALS = {
  group: ["nrp-invenio-client/*", "**/client/src/**", "**/client/dist/**"],
  dynamic: "/^nrp-invenio-client\\x2F|\\x2Fclient\\x2F(src|dist)\\x2F/",
  message: "The CLI uses only the public exports of nrp-invenio-client (the package root).",
};
const NO_CLIENT = {
  group: ["nrp-invenio-client", "nrp-invenio-client/*", "**/client/src/**", "**/client/dist/**"],
  dynamic: "/^nrp-invenio-client($|\\x2F)|\\x2Fclient\\x2F(src|dist)\\x2F/",
  message: "The devserver never depends on the client library: it answers any client.",
};
const NO_DEVSERVER = {
  group: [
    "nrp-invenio-devserver",
    "nrp-invenio-devserver/*",
    "**/server/src/**",
    "**/server/dist/**",
  ],
  dynamic: "/^nrp-invenio-devserver($|\\x2F)|\\x2Fserver\\x2F(src|dist)\\x2F/",
  message: "Only tests use the devserver; the library and the CLI work against any repository.",
};
const NO_CLI = {
  group: ["nrp-invenio-cli", "nrp-invenio-cli/*", "**/cli/src/**", "**/cli/dist/**"],
  dynamic: "/^nrp-invenio-cli($|\\x2F)|\\x2Fcli\\x2F(src|dist)\\x2F/",
  message: "Nothing depends on the CLI: it is the top of the stack.",
};

/** The client's layers: `core/` and `internal/` are below the resources and never reach up. */
const CLIENT_UP = (layer) => ({
  group: ["**/resources/**", "../client.js", "../index.js"],
  message: `The client's ${layer}/ is below the resources and the client: it never imports them.`,
});

/** The devserver's layers: http → services → store; the store knows neither above it. */
const STORE_UP = {
  group: ["**/services/**", "**/http/**", "**/faults.js", "**/server.js"],
  message: "The devserver's store/ is the bottom layer: it never imports services/ or http/.",
};
const HTTP_TO_SERVICES = {
  group: ["**/services/**"],
  message: "The devserver's http/ layer routes to services through the Service interface only.",
};
const SERVICES_IO = {
  group: ["node:fs", "node:fs/*", "fs", "fs/*", "better-sqlite3"],
  message:
    "Devserver services do no file or SQLite I/O: the store/ layer does (BlobStore, repositories).",
};

/**
 * Files that break a layer rule today, each listed by name; the rule holds for every other file.
 * The list only shrinks: test/lint-layering.test.ts fails when a listed file no longer needs it.
 */
export const LAYERING_ALLOWLIST = {
  clientCore: [],
  clientInternal: [],
  servicesIo: [],
  servicesSql: [],
};

const restrict = (...patterns) => [
  "error",
  { patterns: patterns.map(({ dynamic: _dynamic, ...pattern }) => pattern) },
];
/** The package boundaries for dynamic `import()` of a literal specifier. */
const dynamicImports = (...patterns) =>
  patterns.map((p) => {
    if (p.dynamic === undefined) throw new Error(`no dynamic form for: ${p.message}`);
    return { selector: `ImportExpression[source.value=${p.dynamic}]`, message: p.message };
  });
const SQL = [
  {
    selector: "MemberExpression[property.name='db']",
    message: "Devserver services do no SQL: ask a store/ repository instead of its database.",
  },
  {
    selector: "CallExpression[callee.property.name=/^(prepare|pragma)$/]",
    message: "Devserver services do no SQL: ask a store/ repository instead of its database.",
  },
];
const typeAware = (...patterns) => [
  "error",
  { patterns: patterns.map((p) => ({ ...p, allowTypeImports: false })) },
];

/** The flat-config entries, in the order they are applied. */
export default [
  {
    files: ["packages/client/src/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(NO_DEVSERVER, NO_CLI),
      "no-restricted-syntax": ["error", ...dynamicImports(NO_DEVSERVER, NO_CLI)],
    },
  },
  {
    files: ["packages/cli/src/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(CLIENT_INTERNALS, NO_DEVSERVER),
      "no-restricted-syntax": ["error", ...dynamicImports(CLIENT_INTERNALS, NO_DEVSERVER)],
    },
  },
  {
    // CLI tests run the CLI against the devserver, but see the library as any user does.
    files: ["packages/cli/test/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(CLIENT_INTERNALS),
      "no-restricted-syntax": ["error", ...dynamicImports(CLIENT_INTERNALS)],
    },
  },
  {
    files: ["packages/server/src/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(NO_CLIENT, NO_CLI),
      "no-restricted-syntax": ["error", ...dynamicImports(NO_CLIENT, NO_CLI)],
    },
  },
  {
    files: ["packages/client/src/core/**/*.ts"],
    ignores: LAYERING_ALLOWLIST.clientCore,
    rules: { "@typescript-eslint/no-restricted-imports": typeAware(CLIENT_UP("core")) },
  },
  {
    files: ["packages/client/src/internal/**/*.ts"],
    ignores: LAYERING_ALLOWLIST.clientInternal,
    rules: { "@typescript-eslint/no-restricted-imports": typeAware(CLIENT_UP("internal")) },
  },
  {
    files: ["packages/server/src/store/**/*.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": typeAware(STORE_UP) },
  },
  {
    files: ["packages/server/src/http/**/*.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": typeAware(HTTP_TO_SERVICES) },
  },
  {
    files: ["packages/server/src/services/**/*.ts"],
    ignores: LAYERING_ALLOWLIST.servicesIo,
    rules: { "@typescript-eslint/no-restricted-imports": typeAware(SERVICES_IO) },
  },
  {
    // SQL lives in store/: a service neither prepares a statement nor touches the database handle.
    files: ["packages/server/src/services/**/*.ts"],
    ignores: LAYERING_ALLOWLIST.servicesSql,
    // (The package boundary's dynamic-import selectors are repeated: this entry replaces them.)
    rules: { "no-restricted-syntax": ["error", ...dynamicImports(NO_CLIENT, NO_CLI), ...SQL] },
  },
];
