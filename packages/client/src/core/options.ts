/**
 * Options of every call that can be cancelled: an `AbortSignal`.
 *
 * One shape for all resources, so that a signal is passed the same way everywhere; calls with more
 * options extend it.
 */
export interface SignalOptions {
  /** Aborting stops the call's requests; the call then rejects with `APIUserAbortError`. */
  signal?: AbortSignal | undefined;
}

/** What a retry hook receives before each wait. */
export interface RetryEvent {
  /** 1 for the first retry, 2 for the second, … */
  attempt: number;
  /** How many retries this request may get (1 for a server that has never answered). */
  maxAttempts: number;
  /** Why, in a few words: `connection refused`, `host not found`, `HTTP 503`, … */
  reason: string;
  /** How long the client is about to wait, in milliseconds. */
  delayMs: number;
  /** HTTP method of the request being retried. */
  method: string;
  /** Request URL with credentials and signatures redacted. */
  url: string;
  /** The status that triggered the retry, when the server answered. */
  status?: number;
  /** The network error that triggered the retry, when it did not. */
  error?: Error;
}

/**
 * Options for {@link NRPInvenioClient}.
 *
 * Mirrors the Python client's keyword arguments in camelCase so configuration carries over.
 */
export interface NRPClientOptions {
  /**
   * The repository's URL, e.g. `https://repo.example.org`. Must be http(s); a trailing slash is
   * removed.
   */
  serverUrl: string;
  /** Personal access token, sent as `Authorization: Bearer` to `serverUrl`'s origin only. */
  token?: string | undefined;
  /**
   * TLS verification: `true` uses the system CAs, `false` disables checks (self-signed dev
   * servers), a string is the path of a PEM CA bundle to trust instead.
   * @default true
   */
  verify?: boolean | string | undefined;
  /**
   * Maximum number of retries after the first attempt.
   * @default 10
   */
  retryCount?: number | undefined;
  /**
   * Base wait between retries in seconds; it doubles per retry up to ten times this value.
   * @default 10
   */
  retryInterval?: number | undefined;
  /**
   * Longest `Retry-After` (seconds) the client is willing to honour; a longer one fails fast with
   * an error carrying `retryAfter`, so a CLI does not hang for an hour.
   * @default 300
   */
  maxRetryAfter?: number | undefined;
  /**
   * Total seconds this client may spend waiting between retries, over all its requests; once the
   * next wait would overrun it, the request fails with its last error. Caps only the waiting,
   * never a transfer's run time, so a long upload is not cut. Unset: no cap beyond `retryCount`.
   */
  maxRetryWait?: number | undefined;
  /**
   * Seconds to wait for response headers (and between body chunks) per attempt.
   * @default 60
   */
  timeout?: number | undefined;
  /**
   * Seconds one attempt of a JSON call may take in total, headers and whole body; a server that
   * trickles its answer fails with `DeadlineExceededError` instead of hanging. Never applied to
   * file transfers, which only have `timeout` between chunks.
   * @default 300
   */
  deadline?: number | undefined;
  /**
   * Largest JSON (or text) response body in bytes; reading stops there with a
   * `ResponseTooLargeError`, so a runaway server cannot fill memory. File downloads are bounded by
   * their announced size instead.
   * @default 67108864 (64 MiB)
   */
  maxJsonSize?: number | undefined;
  /**
   * The `User-Agent` header.
   * @default `nrp-invenio-client/<VERSION> node/<process.version>`
   */
  userAgent?: string | undefined;
  /** Called before every retry wait: lets callers log or measure waits. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** {@link NRPClientOptions} with every default filled in. */
export interface ResolvedClientOptions {
  /** Normalised server URL (no trailing slash). */
  serverUrl: string;
  /** The token, if any; shown as `***` by `util.inspect`, `toString` and `toJSON`. */
  token: string | undefined;
  /** `true` (system CAs), `false` (no checks) or the path of a PEM CA bundle. */
  verify: boolean | string;
  /** Retries after the first attempt. */
  retryCount: number;
  /** Base wait between retries, in seconds. */
  retryInterval: number;
  /** Longest honoured `Retry-After`, in seconds. */
  maxRetryAfter: number;
  /** Total retry wait allowed to the client, in seconds; `undefined` for no cap. */
  maxRetryWait?: number | undefined;
  /** Seconds per attempt (headers, and between body chunks). */
  timeout: number;
  /** Seconds per attempt of a JSON call, headers and whole body. */
  deadline: number;
  /** Largest JSON or text response body, in bytes. */
  maxJsonSize: number;
  userAgent: string;
  onRetry: ((event: RetryEvent) => void) | undefined;
}

/** Client defaults, as in the Python client. */
export const DEFAULTS = {
  verify: true,
  retryCount: 10,
  retryInterval: 10,
  maxRetryAfter: 300,
  timeout: 60,
  deadline: 300,
  maxJsonSize: 64 * 1024 * 1024,
} as const;
