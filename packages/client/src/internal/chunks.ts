// Web streams as async iterables: browsers' `ReadableStream` is not async-iterable everywhere, so
// a reader loop turns one into the `AsyncIterable<Uint8Array>` the transfer code reads.

/**
 * The chunks of a web `ReadableStream`, read one `reader.read()` at a time; ending the iteration
 * early cancels the stream.
 */
export async function* chunksOf(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
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
