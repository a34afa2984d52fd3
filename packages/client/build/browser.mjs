// Builds the browser entry (`dist/browser.bundle.js`): the compiled library from `dist/`, its
// `#platform` import resolved with the `browser` condition (fetch, web streams, no disk), and
// `node:crypto` replaced by an md5 from hash-wasm (Web Crypto has no md5). No other Node module
// may reach it: the build fails naming the importer. The md5 Web Worker
// (build/browser-shims/md5-worker.js with hash-wasm) is bundled first and goes in as a string,
// which the page starts from a Blob URL. Run after `tsc -b`.
//
//   node build/browser.mjs [--metafile <file>]

import { build } from "esbuild";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shims = join(root, "build", "browser-shims");

const NODE_MODULES = {
  "node:crypto": join(shims, "crypto.js"),
};

/**
 * Maps `node:crypto` to the md5 shim; any other Node module reaching the browser entry is a
 * mistake (code that belongs behind `#platform`) and fails the build, naming the importer.
 */
const nodeShims = {
  name: "node-shims",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const mapped = NODE_MODULES[args.path];
      if (mapped !== undefined) return { path: mapped };
      return {
        errors: [
          {
            text: `${args.path} must not reach the browser entry (imported by ${args.importer})`,
          },
        ],
      };
    });
  },
};

/** The md5 worker's script, minified, as one string. */
const worker = await build({
  absWorkingDir: root,
  entryPoints: [join(shims, "md5-worker.js")],
  bundle: true,
  write: false,
  minify: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});
const workerSource = worker.outputFiles[0]?.text ?? "";

/** Replaces the empty `md5-worker-source.js` of the compiled library with the worker's script. */
const md5Worker = {
  name: "md5-worker",
  setup(b) {
    b.onLoad({ filter: /[\\/]internal[\\/]platform[\\/]md5-worker-source\.js$/ }, () => ({
      contents: `export const MD5_WORKER_SOURCE = ${JSON.stringify(workerSource)};`,
      loader: "js",
    }));
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
  plugins: [nodeShims, md5Worker],
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
