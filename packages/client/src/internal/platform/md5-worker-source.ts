// The source of the browser build's md5 Web Worker. Empty here: the browser bundle
// (build/browser.mjs) replaces this module with the worker built from
// build/browser-shims/md5-worker.js. Unbundled, md5 stays on the main thread.

/** The md5 worker's script, or `""` when it was not bundled in. */
export const MD5_WORKER_SOURCE: string = "";
