/**
 * The browser entry: the same API as the Node entry, built into one ES module
 * (`dist/browser.bundle.js`) that bundlers pick through the package's `browser` condition.
 *
 * Requests go through the page's `fetch`; uploads take `Blob`/`File`/bytes, each part sent as a
 * `Blob` (browsers stream request bodies over HTTP/2 only) with XMLHttpRequest, whose upload
 * events make progress count the bytes as they leave, and md5 comes from a WebAssembly
 * implementation. What it does not have: paths on disk (`fromPath`, uploading from or downloading
 * to a path, `safeFilePath`), the configuration file (`NRPInvenioClient.fromConfig`, `NRPConfig`),
 * CA bundles and `verify: false` (the browser verifies TLS), the md5 worker thread, Node streams
 * (`NRPFile.open` gives the fetch body as an async iterable of `Uint8Array`; `NRPFile.stream` gives
 * a web stream), a custom `User-Agent`, and reading a redirect (the browser follows it, dropping
 * the token on another origin). Each refused call says what to use instead. The server must allow
 * the page's origin (CORS); one that does not is reported as a `CorsRefusedError` (never retried),
 * told apart from a network failure (retried) by probing the server.
 * @packageDocumentation
 */

export * from "./api.js";
