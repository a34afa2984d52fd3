// Curated public API of the Node entry (also Deno's and Bun's): everything in \`api.ts\` and the
// configuration file. Anything not exported here is private and may change without notice.

export * from "./api.js";
export { NRPConfig } from "./core/config.js";
export { safeFilePath } from "./core/file-paths.js";
