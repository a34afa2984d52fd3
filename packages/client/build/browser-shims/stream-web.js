// `node:stream/web` for the browser build: the page's own web streams.

export const ReadableStream = globalThis.ReadableStream;
