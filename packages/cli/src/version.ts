import { readFileSync } from "node:fs";

function readVersion(): string {
  // package.json sits one level above both src/ and dist/, so this works built and from source.
  const raw: unknown = JSON.parse(
    readFileSync(new URL("../package.json", import.meta.url), "utf8"),
  );
  if (
    typeof raw === "object" &&
    raw !== null &&
    "version" in raw &&
    typeof raw.version === "string"
  ) {
    return raw.version;
  }
  return "0.0.0";
}

/** The version of `nrp-invenio-cli`, read from its package.json so it never drifts from a release. */
export const CLI_VERSION: string = readVersion();
