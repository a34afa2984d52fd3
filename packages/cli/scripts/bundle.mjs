#!/usr/bin/env node
// Bundles the compiled CLI (dist/bin.js), the client library and commander into one file,
// dist/bundle/nrp.js (with chunks for what it imports dynamically), which the published bin loads:
// one file to read and compile instead of some two hundred modules to resolve, so every command
// starts faster. What a command needs only sometimes (undici's connection pool, YAML, tables,
// progress bars) is bundled too, each package into one CommonJS file of its own beside the chunks
// (dist/bundle/lib/), still required only on first use: resolving and reading a package's dozens
// of files through node_modules cost more than the package's code (YAML: ~30 ms of CPU, undici's
// pool: ~10 ms more than its bundled file). dist/bundle/version.json holds the text of
// `nrp --version`, which the bin prints without loading the rest.
// Run after `tsc -b` (the root `npm run build` does both).
import { build } from "esbuild";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { URL, fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("..", import.meta.url));
const client = fileURLToPath(new URL("../../client/", import.meta.url));
const { version } = JSON.parse(readFileSync(`${cli}package.json`, "utf8"));
const { version: clientVersion } = JSON.parse(readFileSync(`${client}package.json`, "utf8"));
const out = `${cli}dist/bundle`;

/**
 * The packages the CLI and the library load on first use (through `createRequire`), by the name
 * they require: the file of dist/bundle/lib/ that holds each, and the export of that file when
 * several names share one (undici's pool and its `request` must share undici's internals).
 */
const LAZY = {
  yaml: { file: "yaml.cjs" },
  "undici/lib/dispatcher/agent.js": { file: "undici.cjs", key: "Agent" },
  "undici/lib/api/api-request.js": { file: "undici.cjs", key: "request" },
  "cli-table3": { file: "cli-table3.cjs" },
  "cli-progress": { file: "cli-progress.cjs" },
  // main.js reads the library's version from its package.json; the bundle holds that library.
  "nrp-invenio-client/package.json": { value: { version: clientVersion } },
};

/** Each lazily loaded package as one CommonJS file, resolved from the package that requires it. */
const LIBS = [
  { file: "yaml.cjs", from: client, source: 'module.exports = require("yaml");' },
  {
    file: "undici.cjs",
    from: client,
    source:
      'module.exports = { Agent: require("undici/lib/dispatcher/agent.js"), request: require("undici/lib/api/api-request.js") };',
  },
  { file: "cli-table3.cjs", from: cli, source: 'module.exports = require("cli-table3");' },
  { file: "cli-progress.cjs", from: cli, source: 'module.exports = require("cli-progress");' },
];

/**
 * version.js reads ../package.json at run time, which holds from src/ and dist/ but not from the
 * bundle's directory; the bundle gets the version written in instead (from the same file).
 */
const versionAtBuildTime = {
  name: "cli-version",
  setup(builder) {
    const own = `${cli}dist/version.js`;
    builder.onLoad({ filter: /[\\/]version\.js$/ }, ({ path }) =>
      path !== own
        ? undefined
        : {
            contents: `export const CLI_VERSION = ${JSON.stringify(version)};`,
            loader: "js",
          },
    );
  },
};

/**
 * The CLI's and the library's own `createRequire` (from node:module) becomes one that answers the
 * names of {@link LAZY} from dist/bundle/lib/ and every other name as Node would. The chunks that
 * call it sit in dist/bundle/, so `./lib/…` resolves beside them.
 */
const bundledRequire = {
  name: "bundled-require",
  setup(builder) {
    const ours = [`${cli}dist/`, `${client}dist/`];
    builder.onResolve({ filter: /^node:module$/ }, ({ importer }) =>
      ours.some((dir) => importer.startsWith(dir))
        ? { path: "bundled-require", namespace: "nrp-bundle" }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: "nrp-bundle" }, () => ({
      loader: "js",
      contents: `import { createRequire as nodeCreateRequire } from "node:module";
const LAZY = ${JSON.stringify(LAZY)};
export function createRequire(from) {
  const require = nodeCreateRequire(from);
  return (id) => {
    const entry = LAZY[id];
    if (entry === undefined) return require(id);
    if ("value" in entry) return entry.value;
    const mod = require("./lib/" + entry.file);
    return entry.key === undefined ? mod : mod[entry.key];
  };
}
`,
    }));
  },
};

// Chunk names carry a content hash: clear the old ones rather than ship them.
rmSync(out, { recursive: true, force: true });

/**
 * undici's HTTP/2 client, whose module loads Node's http2 (~3 ms of CPU at start-up) even though
 * undici speaks HTTP/2 only when asked to with `allowH2`, which the library never sets: in the
 * bundle it is a stub that says so, should that ever change.
 */
const withoutHttp2 = {
  name: "without-http2",
  setup(builder) {
    builder.onResolve({ filter: /[\\/]client-h2\.js$/ }, ({ importer }) =>
      /[\\/]undici[\\/]/.test(importer)
        ? { path: "client-h2", namespace: "nrp-bundle" }
        : undefined,
    );
    builder.onLoad({ filter: /^client-h2$/, namespace: "nrp-bundle" }, () => ({
      loader: "js",
      contents: `module.exports = function connectH2() {
  throw new Error("nrp's bundled undici has no HTTP/2 client (the library never sets allowH2).");
};
`,
    }));
  },
};

for (const lib of LIBS) {
  await build({
    stdin: { contents: lib.source, resolveDir: lib.from, sourcefile: lib.file, loader: "js" },
    outfile: `${out}/lib/${lib.file}`,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    plugins: [withoutHttp2],
    legalComments: "eof",
    logLevel: "warning",
  });
}

await build({
  entryPoints: [`${cli}dist/bin.js`],
  outdir: out,
  entryNames: "nrp",
  chunkNames: "[name]-[hash]",
  bundle: true,
  // What the entry imports dynamically (the commands, the client library) goes into chunks of
  // their own, so `--help` and usage errors load neither them nor the Node modules they need
  // (crypto, TLS, worker threads).
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled into dist/bundle/lib/ above, loaded on first use (bundledRequire).
  external: ["undici", "yaml", "cli-progress", "cli-table3"],
  // CommonJS dependencies (commander) call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __nrpCreateRequire } from "node:module";\nconst require = __nrpCreateRequire(import.meta.url);',
  },
  plugins: [versionAtBuildTime, bundledRequire],
  legalComments: "eof",
  logLevel: "warning",
});

// What `nrp --version` prints (main.js prints the same), for the bin to answer without the bundle.
writeFileSync(
  `${out}/version.json`,
  `${JSON.stringify(`nrp ${version} (nrp-invenio-client ${clientVersion})`)}\n`,
);
