// The one HTTP transport every call goes through: connection pool, TLS settings, headers, auth
// scoping, redirects, timeouts, retries and error mapping live here and nowhere else.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import type * as Undici from "undici";
import type { Agent, Dispatcher } from "undici";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  ConfigError,
  DeadlineExceededError,
  ErrorCodes,
  NRPError,
  ResponseTooLargeError,
} from "../core/errors.js";
import type { WithheldToken } from "../core/errors.js";
import type { ResolvedClientOptions } from "../core/options.js";
import type { QueryValue } from "../core/query.js";
import { redactSecrets, redactUrl } from "./redact.js";
import { isRepeatablePost, parseRetryAfter, runWithRetry } from "./retry.js";
import type { AttemptOutcome } from "./retry.js";

/** A body source that can be streamed once. */
export type OneShotBody = Readable | AsyncIterable<Uint8Array>;

/** What a body factory may produce for one attempt. */
export type BodyChunks = string | Uint8Array | OneShotBody;

/**
 * A request body. Strings, bytes and factories (called once per attempt) can be resent on retry;
 * a bare stream or async iterable is sent at most once and disables retries after it ran.
 */
export type RequestBody =
  string | Uint8Array | (() => BodyChunks | Promise<BodyChunks>) | OneShotBody;

/** Query string values; arrays repeat the key. */
export type { QueryValue };

/** Response headers as undici reports them (lower-case names). */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Options of one logical call (all its attempts and redirects). */
export interface HttpRequestOptions {
  method: string;
  /** Absolute URL, or a path resolved against the server URL. */
  url: string;
  query?: Readonly<Record<string, QueryValue>> | undefined;
  headers?: Readonly<Record<string, string | undefined>> | undefined;
  body?: RequestBody | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Marks a non-idempotent call (POST) as safe to repeat. Honoured for a POST only when its URL is
   * an action on one resource (see `isRepeatablePost`), never for a POST to a collection.
   */
  retrySafe?: boolean | undefined;
  /** Overrides the client's per-attempt timeout, in seconds. */
  timeout?: number | undefined;
  /** Follow 301/302/303/307/308 (GET and HEAD only). @default true */
  followRedirects?: boolean | undefined;
}

/** A response with its decoded body. */
export interface HttpResponse<T> {
  status: number;
  headers: ResponseHeaders;
  /** The final URL after redirects. */
  url: string;
  body: T;
}

/** A streaming response; the caller must consume or dump `body`. */
export type StreamingResponse = HttpResponse<Dispatcher.ResponseData["body"]>;

/**
 * Transport settings: the client's resolved options (validated and defaulted once, in
 * `resolveOptions`), so that a new client option reaches the transport without a second list.
 */
export type HttpClientOptions = Omit<ResolvedClientOptions, "onRetry"> & {
  onRetry?: ResolvedClientOptions["onRetry"];
  /** Random source for jitter; injectable for tests. */
  random?: (() => number) | undefined;
};

/** Loads CommonJS modules (undici's parts) from this module's place. */
const requireModule = createRequire(import.meta.url);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
/** Error bodies are read for their message only; a runaway HTML page must not fill memory. */
const MAX_ERROR_BODY_BYTES = 1 << 20;

const TLS_ERROR_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A per-attempt total deadline: its signal aborts the attempt when `ms` have passed. */
interface Deadline {
  readonly signal: AbortSignal;
  readonly ms: number;
}

/**
 * Reads a whole body as UTF-8 text, stopping with a {@link ResponseTooLargeError} as soon as it
 * passes `limit` bytes (or announces more in Content-Length), so a runaway body cannot fill memory.
 */
async function readCapped(
  res: Dispatcher.ResponseData,
  limit: number,
  method: string,
  url: string,
): Promise<string> {
  const tooLarge = (): ResponseTooLargeError =>
    new ResponseTooLargeError(
      `The response to ${method} ${redactUrl(url)} is larger than ${limit} bytes (maxJsonSize); reading stopped.`,
      { method, url, limit },
    );
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function isOneShot(body: RequestBody | undefined): body is OneShotBody {
  return (
    body !== undefined &&
    typeof body !== "string" &&
    typeof body !== "function" &&
    !(body instanceof Uint8Array)
  );
}

function toDispatchBody(chunks: BodyChunks): string | Uint8Array | Readable {
  if (typeof chunks === "string" || chunks instanceof Uint8Array || chunks instanceof Readable) {
    return chunks;
  }
  return Readable.from(chunks);
}

/** Reads the CA bundle once; a bad path is a configuration mistake, reported as such. */
function readCa(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read the CA bundle "${path}"`, {
      key: "verify",
      hint: "Point verify at a readable PEM file, or use verify: true for the system CAs",
      cause: error,
    });
  }
}

/** What the HTTP core takes from undici: its connection pool and the request call on it. */
interface UndiciParts {
  Agent: typeof Undici.Agent;
  request: (this: Agent, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}

let undici: UndiciParts | undefined;

/**
 * Loads undici's `Agent` and its `request` once, on the first request of any client.
 *
 * undici is most of the library's import cost; commands and scripts that never send a request
 * (configuration, help, usage errors) should not pay for it. Its package entry also loads its
 * fetch, WebSocket and cookie code, whose first touch of `globalThis.Headers` loads Node's own
 * bundled copy of undici: two HTTP stacks for a client that uses neither fetch nor WebSocket.
 * So only the two modules the core uses are loaded (undici has no `exports` map, so these paths
 * are part of its published files).
 */
function loadUndici(): UndiciParts {
  undici ??= {
    Agent: requireModule("undici/lib/dispatcher/agent.js") as typeof Undici.Agent,
    request: requireModule("undici/lib/api/api-request.js") as UndiciParts["request"],
  };
  return undici;
}

/**
 * Bytes a socket may buffer before it stops reading. undici reads its sockets in paused mode, so
 * with the default 64 KiB (16 KiB for TLS) a socket stops and restarts reading for nearly every
 * chunk of a large body; at 1 MiB a 1 GiB download over loopback took 1.85 s instead of 2.5 s
 * with plain undici (bench/RESULTS.md). Only a body nobody reads fills it, so it costs no memory
 * for small responses.
 */
const SOCKET_READ_BUFFER = 1024 * 1024;

/**
 * The HTTP core shared by every resource of one client.
 *
 * A single undici `Agent` keeps connections alive across calls; every call gets the same headers,
 * auth scoping, retries and error mapping. The agent is created on the first request.
 */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #connect: { ca?: string; rejectUnauthorized: boolean };
  #agent: Agent | undefined;
  readonly #origin: string;
  readonly #base: string;
  readonly #closed = new AbortController();
  /** Origins that have answered at least once: a refusal from them is a restart, not a typo. */
  readonly #answered = new Set<string>();
  /** What is left of `maxRetryWait`, shared by every request of this client. */
  readonly #waitBudget: { remainingMs: number; totalMs: number } | undefined;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    const url = new URL(options.serverUrl);
    this.#origin = url.origin;
    this.#waitBudget =
      options.maxRetryWait === undefined
        ? undefined
        : { remainingMs: options.maxRetryWait * 1000, totalMs: options.maxRetryWait * 1000 };
    this.#base = options.serverUrl.endsWith("/") ? options.serverUrl : `${options.serverUrl}/`;
    const connect =
      typeof options.verify === "string"
        ? { ca: readCa(options.verify), rejectUnauthorized: true }
        : { rejectUnauthorized: options.verify };
    // The CA bundle is read here so that a bad path fails when the client is made, not later.
    this.#connect = connect;
  }

  /** The connection pool, created on first use; every later call shares it. */
  #pool(): Agent {
    this.#agent ??= new (loadUndici().Agent)({
      // undici hands these options to net.connect / tls.connect, whose sockets take the
      // stream option highWaterMark; undici's own type does not list it.
      connect: {
        ...this.#connect,
        highWaterMark: SOCKET_READ_BUFFER,
      } as Undici.buildConnector.BuildOptions,
      keepAliveTimeout: 10_000,
      connections: 32,
    });
    return this.#agent;
  }

  /** The origin (scheme, host, port) that receives the token. */
  get origin(): string {
    return this.#origin;
  }

  /** How many times a failed attempt is retried; downloads use it for resumes mid-body too. */
  get retryCount(): number {
    return this.#options.retryCount;
  }

  /** Resolves a path against the server URL; absolute URLs pass through. */
  resolve(url: string, query?: Readonly<Record<string, QueryValue>>): string {
    // Absolute URLs pass through; "/x" is relative to the origin, "x" to the server URL.
    const resolved = /^https?:\/\//i.test(url)
      ? new URL(url)
      : new URL(url, url.startsWith("/") ? this.#origin : this.#base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const v of value as readonly (string | number)[])
          resolved.searchParams.append(key, String(v));
      } else {
        resolved.searchParams.append(key, String(value));
      }
    }
    return resolved.toString();
  }

  /** Closes the connection pool; in-flight calls are aborted. */
  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort(new APIUserAbortError("The client was closed."));
    // A client that never sent a request has no pool to close.
    if (this.#agent) await this.#agent.destroy();
  }

  /**
   * Sends a request and returns the streaming response; error statuses throw {@link APIError}.
   * Network failures before the response headers are retried per the policy; failures while
   * the caller reads the body are the caller's to handle.
   */
  async stream(options: HttpRequestOptions): Promise<StreamingResponse> {
    return this.send(options, (res) => Promise.resolve(res.body));
  }

  /**
   * Sends a request and decodes a JSON response; a 204 or empty body gives `undefined`.
   * The body is capped at `maxJsonSize` and each attempt at `deadline` seconds in total.
   */
  async json<T = unknown>(options: HttpRequestOptions): Promise<HttpResponse<T>> {
    const method = options.method.toUpperCase();
    return this.send(
      options,
      async (res, url) => {
        const text = await readCapped(res, this.#options.maxJsonSize, method, url);
        if (res.statusCode === 204 || text.trim() === "") return undefined as T;
        try {
          return JSON.parse(text) as T;
        } catch (error) {
          throw new NRPError(
            `Expected JSON from ${options.method.toUpperCase()} ${redactUrl(url)} but got ${String(
              res.headers["content-type"] ?? "no content type",
            )}.`,
            { code: ErrorCodes.InvalidJson, cause: error },
          );
        }
      },
      { deadline: true },
    );
  }

  /** Sends a request and returns the body as text, with the same limits as {@link json}. */
  async text(options: HttpRequestOptions): Promise<HttpResponse<string>> {
    const method = options.method.toUpperCase();
    return this.send(
      options,
      (res, url) => readCapped(res, this.#options.maxJsonSize, method, url),
      { deadline: true },
    );
  }

  /** `GET` a JSON document. */
  getJSON<T = unknown>(
    url: string,
    options: Omit<HttpRequestOptions, "method" | "url"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>({ ...options, method: "GET", url });
  }

  /** `POST` a JSON body; not retried unless `retrySafe` is set. */
  postJSON<T = unknown>(
    url: string,
    body: unknown,
    options: Omit<HttpRequestOptions, "method" | "url" | "body"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>(jsonRequest("POST", url, body, options));
  }

  /** `PUT` a JSON body. */
  putJSON<T = unknown>(
    url: string,
    body: unknown,
    options: Omit<HttpRequestOptions, "method" | "url" | "body"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>(jsonRequest("PUT", url, body, options));
  }

  /** `DELETE` a resource; a 204 gives `undefined`. */
  delete<T = undefined>(
    url: string,
    options: Omit<HttpRequestOptions, "method" | "url"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>({ ...options, method: "DELETE", url });
  }

  /**
   * Runs one logical call: redirects, retries, and `consume` on the final successful response.
   * `consume` runs inside the attempt, so a connection dropped mid-body is retried like any other.
   * With `limits.deadline` each attempt (headers, `consume` included) must end within the client's
   * `deadline`; file transfers leave it off, since a large file may rightly take hours.
   */
  async send<T>(
    options: HttpRequestOptions,
    consume: (res: Dispatcher.ResponseData, url: string) => Promise<T>,
    limits: { deadline?: boolean } = {},
  ): Promise<HttpResponse<T>> {
    const method = options.method.toUpperCase();
    const follow = (options.followRedirects ?? true) && (method === "GET" || method === "HEAD");
    // A fresh composite signal per call keeps undici's abort listeners off the long-lived
    // close signal, so many concurrent calls raise no listener-leak warnings.
    const signal = AbortSignal.any(
      options.signal ? [options.signal, this.#closed.signal] : [this.#closed.signal],
    );
    let url = this.resolve(options.url, options.query);
    let bodyUsed = false;
    const oneShot = isOneShot(options.body);
    const retrySafe = options.retrySafe === true && (method !== "POST" || isRepeatablePost(url));
    // A URL on another origin (a link the server built with its own address, say) never gets
    // the token; a refusal then is reported with both origins, since that is usually the cause.
    const requestOrigin = new URL(url).origin;
    const withheldToken =
      this.#options.token && requestOrigin !== this.#origin
        ? { requestOrigin, configuredOrigin: this.#origin }
        : undefined;

    for (let hops = 0; ; hops++) {
      const currentUrl = url;
      type Step =
        { kind: "done"; response: HttpResponse<T> } | { kind: "redirect"; location: string };
      const step = await runWithRetry<Step>(
        {
          method,
          url: currentUrl,
          retrySafe,
          retryCount: this.#options.retryCount,
          retryIntervalMs: this.#options.retryInterval * 1000,
          maxRetryAfterMs: this.#options.maxRetryAfter * 1000,
          signal,
          onRetry: this.#options.onRetry,
          bodyReplayable: () => !(oneShot && bodyUsed),
          random: this.#options.random,
          firstContact: () => !this.#answered.has(new URL(currentUrl).origin),
          waitBudget: this.#waitBudget,
        },
        async (): Promise<AttemptOutcome<Step>> => {
          const timer = limits.deadline ? new AbortController() : undefined;
          const deadline: Deadline | undefined = timer && {
            signal: timer.signal,
            ms: this.#options.deadline * 1000,
          };
          const timeout = deadline && setTimeout(() => timer?.abort(), deadline.ms);
          const attemptSignal = deadline ? AbortSignal.any([signal, deadline.signal]) : signal;
          try {
            return await this.#attempt(
              method,
              currentUrl,
              options,
              attemptSignal,
              deadline,
              follow,
              withheldToken,
              consume,
              () => {
                if (oneShot) bodyUsed = true;
              },
            );
          } finally {
            clearTimeout(timeout);
          }
        },
      );
      if (step.kind === "done") return step.response;
      if (hops >= MAX_REDIRECTS) {
        throw new NRPError(
          `Too many redirects (more than ${MAX_REDIRECTS}) from ${redactUrl(url)}.`,
          {
            code: ErrorCodes.TooManyRedirects,
          },
        );
      }
      const next = new URL(step.location, currentUrl);
      // Only http(s) is followed: a `file:`, `data:` or other scheme is the server's mistake (or
      // an attack), and undici would otherwise fail with a confusing connection error.
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new NRPError(
          `Refusing to follow a redirect from ${redactUrl(currentUrl)} to a ${next.protocol} URL (not http or https).`,
          { code: ErrorCodes.InvalidResponse },
        );
      }
      url = next.toString();
    }
  }

  /** One attempt of {@link send}: the request, then a redirect, an error status or `consume`. */
  async #attempt<T>(
    method: string,
    currentUrl: string,
    options: HttpRequestOptions,
    signal: AbortSignal,
    deadline: Deadline | undefined,
    follow: boolean,
    withheldToken: WithheldToken | undefined,
    consume: (res: Dispatcher.ResponseData, url: string) => Promise<T>,
    onBodyUsed: () => void,
  ): Promise<
    AttemptOutcome<
      { kind: "done"; response: HttpResponse<T> } | { kind: "redirect"; location: string }
    >
  > {
    let res: Dispatcher.ResponseData;
    try {
      const body = await this.#body(options.body);
      onBodyUsed();
      res = await this.#dispatch(method, currentUrl, options, body, signal, deadline);
      this.#answered.add(new URL(currentUrl).origin);
    } catch (error) {
      throw this.#mapError(error, method, currentUrl, signal, options.signal, deadline);
    }
    try {
      const location = res.headers.location;
      if (follow && REDIRECT_STATUSES.has(res.statusCode) && typeof location === "string") {
        await res.body.dump();
        return { ok: true, value: { kind: "redirect", location } };
      }
      if (res.statusCode >= 400) {
        const error = await this.#errorFrom(method, currentUrl, res, withheldToken);
        return {
          ok: false,
          status: res.statusCode,
          retryAfter: res.headers["retry-after"],
          error,
        };
      }
      const value = await consume(res, currentUrl);
      return {
        ok: true,
        value: {
          kind: "done",
          response: {
            status: res.statusCode,
            headers: res.headers,
            url: currentUrl,
            body: value,
          },
        },
      };
    } catch (error) {
      if (!res.body.destroyed) res.body.destroy();
      throw this.#mapError(error, method, currentUrl, signal, options.signal, deadline);
    }
  }

  async #body(body: RequestBody | undefined): Promise<string | Uint8Array | Readable | undefined> {
    if (body === undefined) return undefined;
    if (typeof body === "function") return toDispatchBody(await body());
    return toDispatchBody(body);
  }

  async #dispatch(
    method: string,
    url: string,
    options: HttpRequestOptions,
    body: string | Uint8Array | Readable | undefined,
    signal: AbortSignal,
    deadline?: Deadline,
  ): Promise<Dispatcher.ResponseData> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      "user-agent": this.#options.userAgent,
      accept: "application/json",
    };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    // The token goes to the configured origin only: never to a redirect target, a presigned
    // storage URL or any other host (protocol §1.4).
    if (this.#options.token && target.origin === this.#origin) {
      headers.authorization = `Bearer ${this.#options.token}`;
    } else {
      delete headers.authorization;
    }
    const timeoutMs = (options.timeout ?? this.#options.timeout) * 1000;
    try {
      // A pool created after close() would never be destroyed; such a request is refused.
      signal.throwIfAborted();
      const agent = this.#pool();
      return await loadUndici().request.call(agent, {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: method,
        headers,
        body: body ?? null,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      if (body instanceof Readable && !body.destroyed) body.destroy();
      throw this.#mapError(error, method, url, signal, options.signal, deadline);
    }
  }

  async #errorFrom(
    method: string,
    url: string,
    res: Dispatcher.ResponseData,
    withheldToken: WithheldToken | undefined,
  ): Promise<APIError> {
    let text = "";
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_ERROR_BODY_BYTES) break;
        chunks.push(chunk);
      }
      text = Buffer.concat(chunks).toString("utf8");
    } catch {
      // A body cut short still leaves the status to report.
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
    text = redactSecrets(text, [this.#options.token]);
    let body: unknown = text === "" ? undefined : text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        // Proxies answer with HTML; keep the text.
      }
    }
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"]);
    return APIError.fromResponse({
      status: res.statusCode,
      body,
      headers: res.headers,
      method,
      url,
      retryAfter: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
      withheldToken,
    });
  }

  #mapError(
    error: unknown,
    method: string,
    url: string,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    deadline?: Deadline,
  ): NRPError {
    if (error instanceof NRPError) return error;
    const where = `${method} ${redactUrl(url)}`;
    if (callerSignal?.aborted) {
      return new APIUserAbortError(`The request was aborted (${where}).`, {
        cause: callerSignal.reason,
      });
    }
    if (deadline?.signal.aborted && !this.#closed.signal.aborted) {
      return new DeadlineExceededError(
        `${where} took longer than ${deadline.ms / 1000} s in total (deadline); the server answered too slowly.`,
        { method, url, cause: error },
      );
    }
    if (signal.aborted) {
      return new APIUserAbortError(`The client was closed (${where}).`, { cause: signal.reason });
    }
    const code = errorCode(error);
    const detail = redactSecrets(error instanceof Error ? error.message : String(error), [
      this.#options.token,
    ]);
    if (code !== undefined && TLS_ERROR_CODES.has(code)) {
      return new APIConnectionError(
        `TLS certificate verification failed for ${where}: ${detail} (${code}). Pass verify: "<path to a PEM CA bundle>" to trust the server's CA, or verify: false for a development server.`,
        { method, url, causeCode: code, cause: error },
      );
    }
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new APIConnectionTimeoutError(`Timed out waiting for ${where}: ${detail}`, {
        method,
        url,
        causeCode: code,
        cause: error,
      });
    }
    return new APIConnectionError(
      `Connection failed for ${where}: ${detail}${code ? ` (${code})` : ""}`,
      {
        method,
        url,
        causeCode: code,
        cause: error,
      },
    );
  }
}

function jsonRequest(
  method: string,
  url: string,
  body: unknown,
  options: Omit<HttpRequestOptions, "method" | "url" | "body">,
): HttpRequestOptions {
  return {
    ...options,
    method,
    url,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "content-type": "application/json", ...options.headers },
  };
}
