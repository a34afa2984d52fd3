// The seam between the HTTP core (`http.ts`: retries, redirects, auth scoping, error mapping) and
// the platform's way of sending one request. Each entry of the package gets its own transport
// through the `#platform` import (package.json `imports`, chosen by export conditions): undici on
// Node, the platform's `fetch` on Deno, Bun and in browsers. Nothing else in the library asks
// which runtime it is on.

/**
 * The `code` of a transport error that means the server answered but the browser withheld the
 * answer from the page (CORS); the HTTP core turns it into a `CorsRefusedError`, never retried.
 */
export const CORS_REFUSED = "CORS_REFUSED";

/** Response headers with lower-case names. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a transport may be asked to send. */
export type TransportBody = string | Uint8Array | AsyncIterable<Uint8Array>;

/** One request, fully prepared by the HTTP core. */
export interface TransportRequest {
  readonly url: URL;
  readonly method: string;
  /** Lower-case names; `authorization` is present only for the configured origin. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: TransportBody | undefined;
  readonly signal: AbortSignal;
  /** Longest wait for the response headers, and between two chunks of the body, in ms. */
  readonly timeoutMs: number;
  /**
   * Called with the bytes of the body sent so far in this attempt, as the platform reports them
   * (only by a transport with `reportsUploadProgress`).
   */
  readonly onUploadProgress?: ((sentBytes: number) => void) | undefined;
}

/**
 * A response body: its chunks as an async iterable, whatever the runtime. undici's body on Node
 * (a Node `Readable`, which the file downloads of Node, Deno and Bun drain as one), the fetch body
 * as a `Readable` on Deno and Bun, and on browsers a reader loop over the fetch body, so the
 * browser build carries no Node streams. `destroy` drops the rest and the connection; `dump`
 * discards the rest so the connection can be reused.
 */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  readonly destroyed: boolean;
  destroy(error?: Error): void;
  dump(): Promise<void>;
}

/** A response as the transport got it: redirects are not followed (except in browsers). */
export interface TransportResponse {
  readonly statusCode: number;
  readonly headers: ResponseHeaders;
  readonly body: ResponseBody;
}

/** How connections are made; created once per client and closed with it. */
export interface Transport {
  /**
   * The transport calls `onUploadProgress` as request bodies leave (browsers, whose fetch cannot
   * tell); elsewhere the caller counts the bytes as its body stream is read.
   */
  readonly reportsUploadProgress?: boolean;
  request(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

/** Settings a transport is created with. */
export interface TransportSettings {
  /**
   * `true` verifies TLS against the platform's CAs, `false` accepts any certificate, a string is
   * the PEM text of a CA bundle (read by the Node entry; other runtimes refuse anything but true).
   */
  readonly verify: boolean | string;
}
