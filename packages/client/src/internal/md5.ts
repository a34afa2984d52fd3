// An md5 fed chunk by chunk whose digest may come from elsewhere (the browser's Web Worker), so
// `update` and `digest` are asynchronous; on Node, Deno and Bun it is `node:crypto` on this thread.

import { createHash } from "node:crypto";

/** An md5 over chunks handed to it in order. */
export interface Md5Sink {
  /** Hashes the next bytes (copied if they go elsewhere); resolves when more may be sent. */
  update(chunk: Uint8Array): Promise<void>;
  /** The hex md5 of every byte so far. */
  digest(): Promise<string>;
  /** Releases what the hash holds (a worker); safe to call more than once. */
  close(): void;
}

/** An {@link Md5Sink} on this thread. */
export function inlineMd5(): Md5Sink {
  const hash = createHash("md5");
  return {
    update(chunk) {
      hash.update(chunk);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(hash.digest("hex")),
    close: () => undefined,
  };
}

/** Node, Deno and Bun: md5 is native and fast on this thread. */
export function openMd5(_size: number | undefined): Promise<Md5Sink> {
  return Promise.resolve(inlineMd5());
}
