import type { NRPFile } from "nrp-invenio-client";

import type { Column, Output } from "./output.js";
import { formatSize } from "./sizes.js";

/** Columns of `nrp list files`. */
export const FILE_COLUMNS: readonly Column[] = [
  { key: "key" },
  { key: "size" },
  { key: "status" },
  { key: "checksum" },
  { key: "mimetype" },
];

/** One table row for a file: sizes for people; machine formats carry the server's JSON instead. */
export function fileRow(file: NRPFile): Record<string, unknown> {
  return {
    key: file.key,
    size: file.size === undefined ? "" : formatSize(file.size),
    status: file.status ?? "",
    checksum: file.checksum ?? "",
    mimetype: file.mimetype ?? "",
  };
}

/** The key/value fields shown for one file. */
export function fileFields(file: NRPFile): [string, unknown][] {
  const metadata = file.metadata;
  return [
    ["key", file.key],
    ["size", file.size === undefined ? undefined : `${formatSize(file.size)} (${file.size} bytes)`],
    ["status", file.status],
    ["checksum", file.checksum],
    ["mimetype", file.mimetype],
    ["transfer", file.transfer.type],
    ["metadata", Object.keys(metadata).length > 0 ? metadata : undefined],
    ["url", file.links["content"] ?? file.links["self"]],
  ];
}

/** Prints one file: key/value table, or its JSON. */
export function printFile(output: Output, file: NRPFile): void {
  output.record(fileFields(file), file.toDict());
}

/** Prints files as a table, or their JSON. */
export function printFiles(output: Output, files: readonly NRPFile[]): void {
  output.list(
    files.map(fileRow),
    FILE_COLUMNS,
    files.map((f) => f.toDict()),
  );
}
