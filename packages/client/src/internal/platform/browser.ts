// The browser platform: `fetch` as the page has it, XMLHttpRequest for upload bodies (whose
// progress fetch cannot report), and a probe that tells a CORS refusal from a network failure.
// The browser follows redirects itself (and drops the token on a cross-origin one), sends
// streamed bodies only over HTTP/2, verifies TLS and sets `User-Agent`. Selected by the `browser` condition of the package's `#platform` import.

import { CORS_REFUSED } from "../transport.js";
import type { Transport, TransportSettings } from "../transport.js";
import { createFetchTransport } from "./web.js";

export * from "./no-disk.js";

/** The runtime named in the default `User-Agent` (browsers send their own instead). */
export const RUNTIME = "browser";

/** How long each probe of {@link diagnoseCors} may take. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Tells a CORS refusal from a network failure, which fetch reports alike (a bare `TypeError`):
 * a plain `HEAD` to the same URL (no token, so no preflight) that fails in `cors` mode but is
 * answered in `no-cors` mode means the server is there and refuses the page's origin. A `cors`
 * probe that is answered means the origin is allowed: the failure was the network's, and retried.
 */
async function diagnoseCors(url: URL, signal: AbortSignal): Promise<Error | undefined> {
  const probe = (mode: "cors" | "no-cors"): Promise<boolean> =>
    fetch(url, {
      method: "HEAD",
      mode,
      credentials: "omit",
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
    }).then(
      () => true,
      () => false,
    );
  if ((await probe("cors")) || !(await probe("no-cors"))) return undefined;
  const page = (globalThis as { location?: { origin?: string } }).location?.origin;
  return Object.assign(
    new Error(
      `the repository at ${url.origin} answered, but does not allow requests from this page's origin${page === undefined ? "" : ` ${page}`} (CORS). The repository must allow that origin in its CORS configuration.`,
    ),
    { code: CORS_REFUSED },
  );
}

/** The part of XMLHttpRequest used here (the library's types do not include the DOM). */
interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getAllResponseHeaders(): string;
  send(body: unknown): void;
  abort(): void;
  responseType: string;
  readonly status: number;
  readonly statusText: string;
  readonly response: ArrayBuffer | null;
  readonly upload: { onprogress: ((event: { loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** Headers the browser sets itself: XMLHttpRequest refuses them with a console warning. */
const BROWSER_SET = new Set(["content-length", "user-agent", "host", "connection"]);

/**
 * Sends a request whose body is in memory (an upload part as a `Blob`) with XMLHttpRequest, the
 * one browser API that reports the bytes of a request body as they leave; the answer becomes a
 * `Response`, so the rest of the transport cannot tell it from fetch's. A failure rejects with a
 * `TypeError` as fetch does, and aborting `init.signal` aborts the request with its reason.
 */
function sendWithProgress(
  url: URL,
  init: RequestInit,
  onProgress: (sentBytes: number) => void,
): Promise<Response> {
  const XHR = (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;
  if (XHR === undefined) return fetch(url, init);
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    const xhr = new XHR();
    const abort = (): void => {
      xhr.abort();
    };
    const settle = (): void => {
      signal?.removeEventListener("abort", abort);
    };
    xhr.open(init.method ?? "GET", url.href);
    xhr.responseType = "arraybuffer";
    for (const [name, value] of Object.entries(init.headers as Record<string, string>)) {
      if (!BROWSER_SET.has(name)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      onProgress(event.loaded);
    };
    xhr.onload = () => {
      settle();
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().split("\r\n")) {
        const at = line.indexOf(":");
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      const empty = [204, 205, 304].includes(xhr.status);
      resolve(new Response(empty ? null : xhr.response, { status: xhr.status, headers }));
    };
    xhr.onerror = () => {
      settle();
      reject(new TypeError("Failed to fetch (XMLHttpRequest network error)"));
    };
    xhr.onabort = () => {
      settle();
      reject((signal?.reason as Error | undefined) ?? new TypeError("The request was aborted."));
    };
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    signal?.addEventListener("abort", abort, { once: true });
    xhr.send(init.body);
  });
}

/** Creates the fetch transport; TLS options other than `verify: true` are refused. */
export function createTransport(settings: TransportSettings): Transport {
  return createFetchTransport(settings, {
    followRedirects: true,
    bufferBodies: true,
    runtime: "a browser",
    diagnose: diagnoseCors,
    sendWithProgress,
  });
}
