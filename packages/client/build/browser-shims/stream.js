// `node:stream` for the browser build: readable-stream (Node's streams as a userland package),
// with the one piece it lacks in browsers, `Readable.fromWeb`, built on `Readable.from`.

import * as streams from "readable-stream";

const { Readable } = streams;

async function* chunksOf(webStream) {
  const reader = webStream.getReader();
  let done = false;
  try {
    for (;;) {
      const step = await reader.read();
      if (step.done) break;
      yield step.value;
    }
    done = true;
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

Readable.fromWeb = (webStream, options) =>
  Readable.from(chunksOf(webStream), { objectMode: false, ...options });

export const { Transform, PassThrough, Writable, Duplex, pipeline, finished } = streams;
export { Readable };
export default streams;
