// Node globals some code paths use (`Buffer`, `process`), injected into the browser build.

export { Buffer } from "buffer";
export { default as process } from "process/browser.js";
