// Builds the browser entry (`dist/browser.bundle.js`): the compiled library from `dist/`, its
// `#platform` import resolved with the `browser` condition (fetch, web streams, no disk), and
// `node:crypto` replaced by an md5 from hash-wasm (Web Crypto has no md5). No other Node module
// may reach it: the build fails naming the importer. Run after `tsc -b`.
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
