#!/usr/bin/env node
// Size of the browser entry as a page would ship it: `dist/browser.bundle.js` minified by esbuild
// and gzipped (level 9), in total and without the md5 implementation (hash-wasm: its JavaScript
// and WebAssembly on the main thread, and the md5 Web Worker's script), with the largest parts by
// package, against the budget of the browser entry (40 kB min+gzip without md5, kB = 1,000
// bytes); exits 1 over it.
// Usage: npm run build && node bench/browser-size.mjs [--budget-kb 40]
import { build } from "esbuild";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = join(root, "packages/client/dist/browser.bundle.js");
const args = process.argv.slice(2);
const budgetAt = args.indexOf("--budget-kb");
const budget = budgetAt >= 0 ? Number(args[budgetAt + 1]) : 40;

/** Minifies the bundle, optionally leaving `hash-wasm` out (as if it were loaded separately). */
async function measure(withoutMd5) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    metafile: true,
    logLevel: "error",
    plugins: withoutMd5
      ? [
          {
            name: "without-md5",
            setup(b) {
              b.onLoad({ filter: /\.js$/ }, async (a) => {
                const { readFile } = await import("node:fs/promises");
                let text = await readFile(a.path, "utf8");
                // The bundle inlines hash-wasm (its JavaScript, then the WebAssembly it embeds):
                // cut the whole module, from its header comment to the next module's.
                text = text.replace(
                  /\/\/ [^\n]*node_modules\/hash-wasm\/[^\n]*\n[\s\S]*?(?=\n\/\/ [^\n]+\n)/,
                  "var createMD5;",
                );
                text = text.replace(/"[A-Za-z0-9+/=]{2000,}"/g, '""');
                // And the md5 Web Worker's script (hash-wasm again, run off the page's thread).
                text = text.replace(
                  /MD5_WORKER_SOURCE = (["'`])(?:\\.|(?!\1)[^\\])*\1/,
                  'MD5_WORKER_SOURCE = ""',
                );
                return { contents: text, loader: "js" };
              });
            },
          },
        ]
      : [],
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

/** The library's own code alone: the compiled browser entry with every Node module left out. */
async function libraryAlone() {
  const result = await build({
    entryPoints: [join(root, "packages/client/dist/browser.js")],
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["browser"],
    external: ["node:*"],
    logLevel: "error",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

/** Bytes per package in the unminified bundle, from its source map. */
async function parts() {
  const { readFile } = await import("node:fs/promises");
  const map = JSON.parse(await readFile(`${entry}.map`, "utf8"));
  const sizes = new Map();
  map.sources.forEach((source, i) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    const key = match ? match[1] : source.includes("browser-shims") ? "(shims)" : "(client)";
    sizes.set(key, (sizes.get(key) ?? 0) + (map.sourcesContent?.[i]?.length ?? 0));
  });
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

/** Sizes in kB of 1,000 bytes, with the exact byte count. */
const kb = (n) => `${(n / 1000).toFixed(1)} kB (${n.toLocaleString("en")} bytes)`;
const all = await measure(false);
const lean = await measure(true);
console.log(`browser entry, minified:          ${kb(all.min)}, gzip ${kb(all.gzip)}`);
console.log(`without md5 (hash-wasm, worker):  ${kb(lean.min)}, gzip ${kb(lean.gzip)}`);
const own = await libraryAlone();
console.log(`the library's own code alone:     ${kb(own.min)}, gzip ${kb(own.gzip)}`);
console.log("sources by package (unminified, before tree shaking):");
for (const [name, size] of (await parts()).slice(0, 10))
  console.log(`  ${name.padEnd(20)} ${kb(size)}`);
if (lean.gzip > budget * 1000) {
  console.log(`over the budget of ${budget} kB (min+gzip without md5)`);
  process.exitCode = 1;
} else {
  console.log(`under the budget of ${budget} kB (min+gzip without md5)`);
}
