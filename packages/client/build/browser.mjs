// Builds the browser entry (`dist/browser.bundle.js`): the compiled library from `dist/`, its
// `#platform` import resolved with the `browser` condition, and the few Node modules it imports
// replaced: streams by `readable-stream` (Node's own streams as a userland package), md5 by
// hash-wasm, paths by path-browserify, and files, worker threads and the home directory by stubs
// that say what the browser build does not have. Run after `tsc -b`.
//
//   node build/browser.mjs [--metafile <file>]

import { build } from "esbuild";
import { createRequire } from "node:module";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shims = join(root, "build", "browser-shims");
const require = createRequire(join(root, "package.json"));

const NODE_MODULES = {
  "node:stream": join(shims, "stream.js"),
  "node:stream/web": join(shims, "stream-web.js"),
  "node:crypto": join(shims, "crypto.js"),
  "node:util": join(shims, "util.js"),
  "node:timers/promises": join(shims, "timers.js"),
  "node:path": require.resolve("path-browserify"),
  "node:fs": join(shims, "node-only.js"),
  "node:fs/promises": join(shims, "node-only.js"),
  "node:os": join(shims, "node-only.js"),
  "node:module": join(shims, "node-only.js"),
  "node:url": join(shims, "node-only.js"),
  "node:worker_threads": join(shims, "node-only.js"),
};

/** Maps `node:*` (and the bare names packages such as readable-stream use) to the shims. */
const nodeShims = {
  name: "node-shims",
  setup(b) {
    b.onResolve(
      {
        filter:
          /^(node:)?(stream|crypto|util|path|fs|os|module|url|worker_threads|timers|events|buffer|process|string_decoder)(\/.*)?$/,
      },
      (args) => {
        const name = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
        const mapped = NODE_MODULES[name];
        if (mapped !== undefined) return { path: mapped };
        return undefined;
      },
    );
  },
};

const args = process.argv.slice(2);
const metaIndex = args.indexOf("--metafile");

const result = await build({
  absWorkingDir: root,
  entryPoints: [join(root, "dist", "browser.js")],
  outfile: join(root, "dist", "browser.bundle.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  conditions: ["browser"],
  mainFields: ["browser", "module", "main"],
  plugins: [nodeShims],
  define: { global: "globalThis" },
  sourcemap: true,
  legalComments: "linked",
  metafile: metaIndex >= 0,
  logLevel: "warning",
});
if (metaIndex >= 0 && result.metafile) {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(args[metaIndex + 1], JSON.stringify(result.metafile));
}
