import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The slow groups `npm run test:fast` leaves out (`NRP_TEST_FAST=1`): packaging (packs and installs
 * the packages), the documentation and its samples, the large scan, the memory-bound transfers and
 * the conformance suite's second flavour. `npm test` (what CI runs) keeps them all.
 */
const slow = [
  "test/packaging.test.ts",
  "docs/test/docs.test.ts",
  "docs/test/samples.test.ts",
  "docs/test/readme.test.ts",
  "docs/test/sequence.test.ts",
  "packages/client/test/integration/scan-large.test.ts",
  "packages/server/test/files-memory.test.ts",
  "test/conformance/devserver-rdm.test.ts",
];
const fast = process.env["NRP_TEST_FAST"] === "1";

// Tests import the packages' sources directly, so a test run never depends on a stale build.
export default defineConfig({
  resolve: {
    alias: {
      "nrp-invenio-client": src("./packages/client/src/index.ts"),
      "nrp-invenio-devserver": src("./packages/server/src/index.ts"),
      "nrp-invenio-cli": src("./packages/cli/src/main.ts"),
      // The client's platform import (package.json `imports`), as Node resolves it.
      "#platform": src("./packages/client/src/internal/platform/node.ts"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "docs/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: fast ? ["**/node_modules/**", ...slow] : ["**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
