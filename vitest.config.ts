import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import the packages' sources directly, so a test run never depends on a stale build.
export default defineConfig({
  resolve: {
    alias: {
      "nrp-invenio-client": src("./packages/client/src/index.ts"),
      "nrp-invenio-devserver": src("./packages/server/src/index.ts"),
      "nrp-invenio-cli": src("./packages/cli/src/main.ts"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "docs/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
