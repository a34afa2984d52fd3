// The fetch transport shared by Deno, Bun and browsers: the platform's `fetch`, `ReadableStream`
// and `AbortSignal`. Response bodies are read with a reader loop (`WebBody`); Deno and Bun wrap
// them as Node readables instead (fetch.ts), which their file downloads drain.

import type {
  ResponseBody,
  Transport,
  TransportBody,
  TransportRequest,
  TransportResponse,
  TransportSettings,
} from "../transport.js";
import { webStreamOf } from "../read.js";

type BodyInit = NonNullable<RequestInit["body"]>;

/** How one runtime's fetch differs. */
export interface FetchFlavour {
  /**
   * Browsers cannot read a redirect (`redirect: "manual"` gives an opaque response), so they
   * follow it themselves; Deno and Bun hand the 3xx to the HTTP core like undici does.
   */
  readonly followRedirects: boolean;
  /**
   * Browsers send streamed request bodies over HTTP/2 only; there a streamed body (a part of an
   * upload) is gathered into a `Blob` first, so memory holds one part per parallel request.
   */
  readonly bufferBodies: boolean;
  /** Named in the errors about options this runtime cannot honour. */
  readonly runtime: string;
  /**
   * Looks again at a request that failed with a bare `TypeError` and returns the error to report
   * instead, or `undefined` for a network failure: browsers tell CORS refusals this way.
   */
  readonly diagnose?: ((url: URL, signal: AbortSignal) => Promise<Error | undefined>) | undefined;
  /**
   * Sends a request whose body is whole in memory and reports its bytes as they leave (fetch
   * cannot): browsers do it with XMLHttpRequest. `onProgress` also keeps the request alive.
   */
  readonly sendWithProgress?:
    | ((url: URL, init: RequestInit, onProgress: (sentBytes: number) => void) => Promise<Response>)
    | undefined;
  /** Wraps a fetch body; {@link WebBody} unless the runtime prefers another form. */
  readonly body?: ((stream: ReadableStream<Uint8Array> | null) => ResponseBody) | undefined;
}

/** An error the HTTP core maps to a timeout (its `code` is one it knows). */
class HeadersTimeoutError extends Error {
  readonly code = "UND_ERR_HEADERS_TIMEOUT";
}

/** Codes the HTTP core knows, for what fetch reports only as text (or not at all). */
const NETWORK_CODES: readonly (readonly [RegExp, string])[] = [
  [/refused/i, "ECONNREFUSED"],
  [/reset|broken pipe|closed|hang ?up|aborted by peer|socket/i, "ECONNRESET"],
  [/dns|lookup|name resolution|not known|getaddrinfo/i, "ENOTFOUND"],
  [/certificate|tls|ssl/i, "CERT_UNTRUSTED"],
];

/**
 * fetch rejects with a bare `TypeError` for every network failure; the cause, when the runtime
 * gives one, is a message. The error is given the code the HTTP core's retry policy reads:
 * derived from the messages where they tell, `NETWORK_ERROR` (retried) where they do not.
 */
function networkError(error: unknown): unknown {
  if (!(error instanceof TypeError)) return error;
  const existing = (error as { code?: unknown }).code;
  if (typeof existing === "string") return error;
  const texts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return Object.assign(error, { code });
    texts.push(e.message);
    e = e.cause;
  }
  const text = texts.join(": ");
  const code = NETWORK_CODES.find(([pattern]) => pattern.test(texts.slice(1).join(" ")))?.[1];
  return Object.assign(new Error(text, { cause: error }), { code: code ?? "NETWORK_ERROR" });
}

async function toBlob(iterable: AsyncIterable<Uint8Array>): Promise<Blob> {
  const parts: Uint8Array[] = [];
  for await (const chunk of iterable) parts.push(chunk);
  return new Blob(parts);
}

async function requestBody(
  body: TransportBody | undefined,
  flavour: FetchFlavour,
): Promise<{ body?: BodyInit; duplex?: "half" }> {
  if (body === undefined) return {};
  if (typeof body === "string") return { body };
  if (body instanceof Uint8Array) return { body: body as BodyInit };
  if (flavour.bufferBodies) return { body: await toBlob(body) };
  return { body: webStreamOf(body) as BodyInit, duplex: "half" };
}

/**
 * A fetch body as a {@link ResponseBody}: each iteration step is one `reader.read()`, so nothing
 * is copied or buffered ahead of the reader; ending the iteration early or `destroy` cancels it.
 */
export class WebBody implements ResponseBody {
  readonly #stream: ReadableStream<Uint8Array> | null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #destroyed = false;

  constructor(stream: ReadableStream<Uint8Array> | null) {
    this.#stream = stream;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const cancelled = this.#reader ? this.#reader.cancel(error) : this.#stream?.cancel(error);
    void cancelled?.catch(() => undefined);
  }

  dump(): Promise<void> {
    this.destroy();
    return Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#stream === null) return;
    if (this.#destroyed) throw new Error("The response body was closed before it was read.");
    const reader = (this.#reader = this.#stream.getReader());
    let done = false;
    try {
      for (;;) {
        const step = await reader.read();
        if (step.done) {
          // A cancel by destroy() ends the reads as if the body had ended: it did not.
          if (this.destroyed) throw new Error("The response body was closed before it ended.");
          break;
        }
        yield step.value;
      }
      done = true;
    } finally {
      if (!done) this.destroy();
      this.#destroyed = true;
    }
  }
}

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/**
 * Creates a transport over the global `fetch`. TLS is the runtime's: a CA bundle or
 * `verify: false` cannot be honoured and is refused when the client is made.
 */
export function createFetchTransport(
  settings: TransportSettings,
  flavour: FetchFlavour,
): Transport {
  if (settings.verify !== true) {
    throw new Error(
      `verify: ${JSON.stringify(settings.verify)} is not supported on ${flavour.runtime}: TLS is verified by the runtime (use verify: true).`,
    );
  }
  const closed = new AbortController();
  const { sendWithProgress } = flavour;
  return {
    reportsUploadProgress: sendWithProgress !== undefined,
    async request(req: TransportRequest): Promise<TransportResponse> {
      const timer = new AbortController();
      const arm = (): ReturnType<typeof setTimeout> =>
        setTimeout(() => {
          timer.abort(new HeadersTimeoutError(`no response headers within ${req.timeoutMs} ms`));
        }, req.timeoutMs);
      let timeout = arm();
      try {
        const init: RequestInit & { duplex?: "half" } = {
          method: req.method,
          headers: req.headers,
          redirect: flavour.followRedirects ? "follow" : "manual",
          signal: AbortSignal.any([req.signal, timer.signal, closed.signal]),
          ...(await requestBody(req.body, flavour)),
        };
        const { onUploadProgress } = req;
        const res =
          sendWithProgress && onUploadProgress && init.body !== undefined && !init.duplex
            ? await sendWithProgress(req.url, init, (sent) => {
                // Bytes leaving count as an answer: the wait for headers starts again.
                clearTimeout(timeout);
                timeout = arm();
                onUploadProgress(sent);
              })
            : await fetch(req.url, init);
        return {
          statusCode: res.status,
          headers: headersOf(res),
          body: (flavour.body ?? ((stream) => new WebBody(stream)))(res.body),
        };
      } catch (error) {
        if (timer.signal.aborted) throw timer.signal.reason as Error;
        const diagnosed =
          error instanceof TypeError && flavour.diagnose && !req.signal.aborted
            ? await flavour.diagnose(req.url, AbortSignal.any([req.signal, closed.signal]))
            : undefined;
        throw diagnosed ?? networkError(error);
      } finally {
        clearTimeout(timeout);
      }
    },
    close(): Promise<void> {
      closed.abort();
      return Promise.resolve();
    },
  };
}
