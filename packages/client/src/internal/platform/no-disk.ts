// The browser's side of disk.ts: no configuration file and no paths. Each call says what to use
// instead; uploads hash their bytes from the source's own stream.

import { ConfigError, ErrorCodes, NRPError } from "../../core/errors.js";
import type { FromConfigOptions } from "../../core/from-config.js";
import type { UploadSource } from "../../core/uploads.js";

/** Uploads hash a large Blob in a Web Worker, anything else from the source's stream. */
export { byteSource, openMd5 } from "./md5-web.js";

function noPaths(what: string): Promise<never> {
  return Promise.reject(
    new NRPError(
      `${what} is not available in the browser build of nrp-invenio-client: pass a Blob, File or bytes instead of a path, and read files with blob() or stream().`,
      { code: ErrorCodes.InvalidInput },
    ),
  );
}

/** `NRPInvenioClient.fromConfig`: a browser has no configuration file to read. */
export function clientFromConfig<C>(_options: FromConfigOptions, _make: unknown): Promise<C> {
  return Promise.reject(
    new ConfigError("NRPInvenioClient.fromConfig is not available in the browser build", {
      hint: "Create the client with new NRPInvenioClient({ serverUrl, token })",
    }),
  );
}

/** Uploading from a path: refused. */
export function openPath(_path: string): Promise<UploadSource> {
  return noPaths("Uploading from a path");
}

/** Downloading to a path: refused. */
export function downloadToPath(..._args: unknown[]): Promise<string> {
  return noPaths("NRPFile.download (to a path)");
}

/** No local file can match. */
export function localFileMatches(..._args: unknown[]): Promise<boolean> {
  return Promise.resolve(false);
}
