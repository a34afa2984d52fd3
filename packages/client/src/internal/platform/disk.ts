// What the Node, Deno and Bun entries have and the browser entry does not: the configuration file
// and files on disk. Re-exported by node.ts, deno.ts and bun.ts; browsers get no-disk.ts.

/** `NRPInvenioClient.fromConfig`: reads the configuration file. */
export { fromConfigFile as clientFromConfig } from "../../core/from-config.js";
/** Uploads from a path, downloads to a path, local-file checks. */
export {
  downloadToPath,
  fileByteSource as byteSource,
  localFileMatches,
  openPath,
} from "../disk.js";
/** md5 of streamed reads: native, on this thread. */
export { openMd5 } from "../md5.js";
