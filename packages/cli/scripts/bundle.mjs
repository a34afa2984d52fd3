#!/usr/bin/env node
// Bundles the compiled CLI (dist/bin.js), the client library and commander into one file,
// dist/bundle/nrp.js (with chunks for what it imports dynamically), which the published bin loads: one file to read and compile instead of
// some two hundred modules to resolve, so every command starts faster. What a command loads only
// when it needs it stays outside, required at run time from this package's dependencies: undici's
// connection pool (on the first request), YAML, table and progress-bar code.
// Run after `tsc -b` (the root `npm run build` does both).
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { URL, fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(`${cli}package.json`, "utf8"));

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

// Chunk names carry a content hash: clear the old ones rather than ship them.
rmSync(`${cli}dist/bundle`, { recursive: true, force: true });

await build({
  entryPoints: [`${cli}dist/bin.js`],
  outdir: `${cli}dist/bundle`,
  entryNames: "nrp",
  chunkNames: "[name]-[hash]",
  bundle: true,
  // What the entry imports dynamically (the commands, the client library) goes into chunks of
  // their own, so `--version`, `--help` and usage errors load neither them nor the Node modules
  // they need (crypto, TLS, worker threads).
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Loaded on first use through createRequire, resolved from this package at run time.
  external: ["undici", "yaml", "cli-progress", "cli-table3"],
  // CommonJS dependencies (commander) call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __nrpCreateRequire } from "node:module";\nconst require = __nrpCreateRequire(import.meta.url);',
  },
  plugins: [versionAtBuildTime],
  legalComments: "eof",
  logLevel: "warning",
});
