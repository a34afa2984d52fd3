import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The runtime suite (`npm run test:browsers`): Deno, Bun and headless Chromium, each running the
// shared scenario against a devserver in this process. Not part of `npm test`: it needs those
// runtimes, which scripts/browsers/test.sh installs.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: {
    alias: {
      "nrp-invenio-devserver": fileURLToPath(
        new URL("../../packages/server/src/index.ts", import.meta.url),
      ),
    },
  },
  test: {
    include: ["test/runtimes/**/*.spec.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
