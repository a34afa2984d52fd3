// `node:crypto` for the browser build: md5 from hash-wasm (Web Crypto has no md5). One
// WebAssembly instance serves every hash: each hash keeps its own saved state and loads it for
// the length of an update, so `createHash` stays synchronous as in Node. Digests are hex only.

import { createMD5 } from "hash-wasm";

const engine = await createMD5();

export function createHash(algorithm) {
  if (String(algorithm).toLowerCase() !== "md5") {
    throw new Error(`Only md5 is available in the browser build, not ${String(algorithm)}.`);
  }
  engine.init();
  let state = engine.save();
  return {
    update(chunk) {
      engine.load(state);
      engine.update(typeof chunk === "string" ? new globalThis.TextEncoder().encode(chunk) : chunk);
      state = engine.save();
      return this;
    },
    digest(encoding) {
      if (encoding !== "hex")
        throw new Error("Only hex digests are available in the browser build.");
      engine.load(state);
      return engine.digest("hex");
    },
  };
}
