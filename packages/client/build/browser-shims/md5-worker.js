// The md5 Web Worker of the browser build, bundled by build/browser.mjs into a string that the
// page starts from a Blob URL (src/internal/platform/md5-web.ts). It answers `ready` once
// hash-wasm's md5 is instantiated, then hashes either the chunks it is sent (`update`, then
// `digest`; each chunk acknowledged with `hashed`) or a whole Blob (`blob`), answering
// `{ type: "digest", hex }` or `{ type: "error" }`.

import { createMD5 } from "hash-wasm";

const scope = globalThis;

createMD5().then(
  (md5) => {
    md5.init();
    let queue = Promise.resolve();
    const run = async (data) => {
      if (data.type === "update") {
        md5.update(new Uint8Array(data.bytes));
        scope.postMessage({ type: "hashed", bytes: data.bytes.byteLength });
      } else if (data.type === "digest") {
        scope.postMessage({ type: "digest", hex: md5.digest("hex") });
        md5.init();
      } else if (data.type === "blob") {
        const reader = data.blob.stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          md5.update(value);
        }
        scope.postMessage({ type: "digest", hex: md5.digest("hex") });
        md5.init();
      }
    };
    scope.onmessage = (event) => {
      // In order, even while a Blob is read.
      queue = queue
        .then(() => run(event.data))
        .catch((error) => {
          scope.postMessage({ type: "error", message: String(error?.message ?? error) });
        });
    };
    scope.postMessage({ type: "ready" });
  },
  (error) => {
    scope.postMessage({ type: "error", message: String(error?.message ?? error) });
  },
);
