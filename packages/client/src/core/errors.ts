import { INSPECT } from "../internal/inspect.js";
import type { Inspect } from "../internal/inspect.js";
import { redactHeaders, redactUrl } from "../internal/redact.js";

/**
 * Every stable code an {@link NRPError} can carry, by name: `ErrorCodes.NotFound === "NRP_NOT_FOUND"`.
 *
 * Callers compare `error.code` against these instead of typing the string, so that a misspelt
 * code is a compile error rather than a branch that never runs; `docs/errors.md` lists the same
 * codes with what each one means and the exit code `nrp` gives it.
 */
export const ErrorCodes = Object.freeze({
  /** A failure with no more specific code (the base class's own). */
  Error: "NRP_ERROR",
  /** A missing, unreadable or invalid configuration value ({@link ConfigError}). */
  Config: "NRP_CONFIG",
  /** A model name the repository does not serve ({@link UnknownModelError}). */
  UnknownModel: "NRP_UNKNOWN_MODEL",
  /** A record identifier that is none of the accepted forms ({@link InvalidRecordIdError}). */
  InvalidRecordId: "NRP_INVALID_RECORD_ID",
  /** The action needs a request a curator accepts ({@link RequestRequiredError}). */
  RequestRequired: "NRP_REQUEST_REQUIRED",
  /** A request action the request does not offer now ({@link ActionNotAvailableError}). */
  ActionNotAvailable: "NRP_ACTION_NOT_AVAILABLE",
  /** The change was submitted as a request and waits for a curator ({@link ReviewPendingError}). */
  ReviewPending: "NRP_REVIEW_PENDING",
  /** An error status without a more specific class, e.g. 406 or 413 ({@link APIError}). */
  ApiError: "NRP_API_ERROR",
  /** 400: validation failed or the request was malformed ({@link BadRequestError}). */
  BadRequest: "NRP_BAD_REQUEST",
  /** 401: the credentials were rejected ({@link AuthenticationError}). */
  Authentication: "NRP_AUTHENTICATION",
  /** 403: not allowed with these credentials ({@link PermissionDeniedError}). */
  PermissionDenied: "NRP_PERMISSION_DENIED",
  /** 404: the resource does not exist ({@link NotFoundError}). */
  NotFound: "NRP_NOT_FOUND",
  /** 405: the resource does not accept this method ({@link MethodNotAllowedError}). */
  MethodNotAllowed: "NRP_METHOD_NOT_ALLOWED",
  /** 409: the request conflicts with the resource's state ({@link ConflictError}). */
  Conflict: "NRP_CONFLICT",
  /** 410: the record was deleted ({@link GoneError}). */
  Gone: "NRP_GONE",
  /** 412: the `If-Match` revision did not match ({@link PreconditionFailedError}). */
  PreconditionFailed: "NRP_PRECONDITION_FAILED",
  /** 415: the server does not accept this `Content-Type` ({@link UnsupportedMediaTypeError}). */
  UnsupportedMediaType: "NRP_UNSUPPORTED_MEDIA_TYPE",
  /** 422: the body is semantically invalid ({@link UnprocessableEntityError}). */
  UnprocessableEntity: "NRP_UNPROCESSABLE_ENTITY",
  /** 429: rate limited beyond what the client waits for ({@link RateLimitError}). */
  RateLimited: "NRP_RATE_LIMITED",
  /** 5xx: the server failed, after the retries ({@link InternalServerError}). */
  ServerError: "NRP_SERVER_ERROR",
  /** A structured query with a part that has no query-string form ({@link UnsupportedQueryError}). */
  UnsupportedQuery: "NRP_UNSUPPORTED_QUERY",
  /** No usable response: refused, reset, DNS or TLS failure ({@link APIConnectionError}). */
  Connection: "NRP_CONNECTION",
  /** The server did not answer within the per-attempt timeout ({@link APIConnectionTimeoutError}). */
  Timeout: "NRP_TIMEOUT",
  /** In a browser: the server answered but does not allow the page's origin ({@link CorsRefusedError}). */
  CorsRefused: "NRP_CORS_REFUSED",
  /** The caller aborted the call or closed the client ({@link APIUserAbortError}). */
  Aborted: "NRP_ABORTED",
  /** An upload stopped before the file was committed ({@link UploadError}). */
  UploadFailed: "NRP_UPLOAD_FAILED",
  /** Content whose md5 differs from the stored checksum ({@link ChecksumMismatchError}). */
  ChecksumMismatch: "NRP_CHECKSUM_MISMATCH",
  /** A file key that would write outside the target directory ({@link UnsafeFileKeyError}). */
  UnsafeFileKey: "NRP_UNSAFE_FILE_KEY",
  /** The server answered, but not with what the protocol promises (a missing or wrong field). */
  InvalidResponse: "NRP_INVALID_RESPONSE",
  /** A JSON answer was expected and the body is not JSON. */
  InvalidJson: "NRP_INVALID_JSON",
  /** A redirect chain longer than the client follows. */
  TooManyRedirects: "NRP_TOO_MANY_REDIRECTS",
  /** The URL serves neither `/.well-known/repository` nor an InvenioRDM homepage. */
  NotInvenio: "NRP_NOT_INVENIO",
  /** The DOI resolver gave no landing page for a DOI. */
  DoiUnresolved: "NRP_DOI_UNRESOLVED",
  /** A community the repository does not know. */
  UnknownCommunity: "NRP_UNKNOWN_COMMUNITY",
  /** A model without the records or drafts search endpoint asked for. */
  NoSearchEndpoint: "NRP_NO_SEARCH_ENDPOINT",
  /** More records in one millisecond than a scan can page through. */
  ScanClusterTooLarge: "NRP_SCAN_CLUSTER_TOO_LARGE",
  /** An argument the client refuses before sending anything (a bad size, range, path or value). */
  InvalidInput: "NRP_INVALID_INPUT",
  /** A resource has no link for the action (`links.<name>` is missing). */
  MissingLink: "NRP_MISSING_LINK",
  /** A draft action on a record that is not a draft. */
  NotADraft: "NRP_NOT_A_DRAFT",
  /** `edit()` on a record that is already a draft. */
  AlreadyADraft: "NRP_ALREADY_A_DRAFT",
  /** A draft without a publish link: the caller may not publish it. */
  CannotPublish: "NRP_CANNOT_PUBLISH",
  /** Deleting a published record without the removal reason the repository needs. */
  RemovalReasonRequired: "NRP_REMOVAL_REASON_REQUIRED",
  /** A request type the record does not offer now. */
  RequestNotApplicable: "NRP_REQUEST_NOT_APPLICABLE",
  /** A request that ended other than accepted (declined, cancelled, expired). */
  RequestNotAccepted: "NRP_REQUEST_NOT_ACCEPTED",
  /** A file list built from JSON, with no client to send requests through. */
  Detached: "NRP_DETACHED",
  /** An action on a file that is not committed yet. */
  FileNotCommitted: "NRP_FILE_NOT_COMMITTED",
  /** A retry needs the upload's bytes again and the source (a stream) cannot give them. */
  SourceNotRetryable: "NRP_SOURCE_NOT_RETRYABLE",
  /** An upload stream ended before the size it was declared with. */
  SourceTooShort: "NRP_SOURCE_TOO_SHORT",
  /** Hashing a local file failed (it could not be read). */
  HashFailed: "NRP_HASH_FAILED",
  /** A local file ended before the range being hashed (it shrank while read). */
  HashShort: "NRP_HASH_SHORT",
  /** A download target exists and `overwrite` was not given. */
  FileExists: "NRP_FILE_EXISTS",
  /** The connection broke mid-body after the retries; the partial file is kept for a resume. */
  DownloadInterrupted: "NRP_DOWNLOAD_INTERRUPTED",
  /** The file changed on the server while it was being downloaded. */
  ContentChanged: "NRP_CONTENT_CHANGED",
  /** A JSON call's attempt ran past the client's total `deadline` ({@link DeadlineExceededError}). */
  DeadlineExceeded: "NRP_DEADLINE_EXCEEDED",
  /** A JSON body larger than `maxJsonSize` ({@link ResponseTooLargeError}). */
  ResponseTooLarge: "NRP_RESPONSE_TOO_LARGE",
  /** A file body longer than its announced size; the partial file is removed. */
  DownloadTooLarge: "NRP_DOWNLOAD_TOO_LARGE",
} as const);

/**
 * One of the stable codes in {@link ErrorCodes}: the type of {@link NRPError.code}.
 *
 * A union rather than `string`, so that comparing a code with a string that is not one is a
 * compile error.
 */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * A field-level validation message from Invenio's `errors: [{field, messages}]`
 * (docs/protocol/conventions.md#error-bodies).
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `metadata.title` or `_schema`. */
  field: string;
  /** Human-readable messages for that field. */
  messages: string[];
}

/** Options shared by every {@link NRPError}. */
export interface NRPErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown;
  /** Overrides the class's stable code (for rare one-off conditions that need no own class). */
  code?: ErrorCode;
}

/**
 * Base class of every error this library throws.
 *
 * One base lets callers catch "anything from the repository client" with a single `instanceof`,
 * and the stable `code` string survives bundling and serialisation where class names do not.
 */
export class NRPError extends Error {
  /** Stable machine-readable code, e.g. `"NRP_NOT_FOUND"`; one of {@link ErrorCodes}. */
  readonly code: ErrorCode;

  constructor(message: string, options: NRPErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code =
      options.code ?? (new.target as unknown as { CODE?: ErrorCode }).CODE ?? ErrorCodes.Error;
  }

  /** The code every instance of this class carries. */
  static readonly CODE: ErrorCode = ErrorCodes.Error;

  /** A plain-object form for logs and `--format json` error output; never contains a token. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Where a bad configuration value came from, and how to fix it. */
export interface ConfigErrorDetails extends NRPErrorOptions {
  /** The configuration file involved, if any. */
  file?: string | undefined;
  /** The offending key, e.g. `repositories[1].retry_count` or `NRP_INVENIO_CLIENT_VERIFY`. */
  key?: string | undefined;
  /** What the user should do about it. */
  hint?: string | undefined;
}

/**
 * A missing, unreadable or invalid configuration value (file, environment variable or option).
 *
 * It names the file, the key and the fix so that a user can correct it without reading code.
 */
export class ConfigError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.Config;
  /** The configuration file involved, if any. */
  readonly file: string | undefined;
  /** The offending key, if any. */
  readonly key: string | undefined;
  /** What to do about it, if known. */
  readonly hint: string | undefined;
  /** The problem itself, without the file, key and hint decorations of `message`. */
  readonly reason: string;

  constructor(message: string, details: ConfigErrorDetails = {}) {
    const where = [
      details.file === undefined ? undefined : `in ${details.file}`,
      details.key === undefined ? undefined : `at ${details.key}`,
    ]
      .filter((x) => x !== undefined)
      .join(" ");
    const full = `${message}${where ? ` (${where})` : ""}${details.hint ? `. ${details.hint}` : ""}`;
    super(full, details);
    this.file = details.file;
    this.key = details.key;
    this.hint = details.hint;
    this.reason = message;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file, key: this.key, hint: this.hint };
  }
}

/**
 * A model name the repository does not serve.
 *
 * Lists the known names so that a typo is obvious from the message alone.
 */
export class UnknownModelError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.UnknownModel;
  /** The name that was asked for. */
  readonly model: string;
  /** The names the repository does serve. */
  readonly known: readonly string[];

  constructor(model: string, known: readonly string[], options: NRPErrorOptions = {}) {
    super(
      `Unknown model "${model}". Known models: ${known.length ? known.join(", ") : "(none)"}`,
      options,
    );
    this.model = model;
    this.known = [...known];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), model: this.model, known: this.known };
  }
}

/**
 * A record identifier that is none of the accepted forms (mid, API or HTML URL, DOI).
 *
 * A typo in an id is a user mistake, so it gets its own class and a message listing the forms.
 */
export class InvalidRecordIdError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.InvalidRecordId;
  /** The identifier as given. */
  readonly recordId: string;

  constructor(message: string, recordId: string, options: NRPErrorOptions = {}) {
    super(message, options);
    this.recordId = recordId;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), recordId: this.recordId };
  }
}

/**
 * The caller may not perform an action on a record directly; the repository wants a request
 * (e.g. `publish_draft`) that a curator accepts.
 *
 * Separate from a plain 403 so that callers can switch to the request workflow instead of
 * reporting a permission problem.
 */
export class RequestRequiredError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.RequestRequired;
  /** The request type that performs the action, e.g. `publish_draft`. */
  readonly requestType: string;
  /** The record's `links["applicable-requests"]`, where the request types are listed. */
  readonly applicableRequestsUrl: string | undefined;

  constructor(
    message: string,
    init: { requestType: string; applicableRequestsUrl?: string | undefined } & NRPErrorOptions,
  ) {
    super(message, init);
    this.requestType = init.requestType;
    this.applicableRequestsUrl = init.applicableRequestsUrl;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      requestType: this.requestType,
      applicableRequestsUrl: this.applicableRequestsUrl,
    };
  }
}

/**
 * A request action (`submit`, `accept`, …) the request does not offer now.
 *
 * The server lists only the actions that are legal in the request's state and permitted for the
 * caller (`links.actions`), so the client refuses before sending anything and names what is
 * possible instead.
 */
export class ActionNotAvailableError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.ActionNotAvailable;
  /** The action that was asked for. */
  readonly action: string;
  /** The actions the request offers now (may be empty). */
  readonly available: readonly string[];
  /** The request's id. */
  readonly requestId: string;

  constructor(
    message: string,
    init: { action: string; available: readonly string[]; requestId: string } & NRPErrorOptions,
  ) {
    super(message, init);
    this.action = init.action;
    this.available = [...init.available];
    this.requestId = init.requestId;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      action: this.action,
      available: [...this.available],
      requestId: this.requestId,
    };
  }
}

/** The request an {@link APIError} belongs to. URLs are redacted before they are stored. */
export interface APIErrorRequest {
  method: string;
  url: string;
}

/**
 * A request sent without the configured token because its URL is on another origin than the one
 * the client was configured with (the token never leaves that origin).
 */
export interface WithheldToken {
  /** The origin the request went to, e.g. `https://repo.example.org`. */
  requestOrigin: string;
  /** The origin the client was configured with (the only one that receives the token). */
  configuredOrigin: string;
}

/** Everything {@link APIError.fromResponse} needs. */
export interface APIErrorInit {
  status: number;
  /** The response body: already parsed JSON, raw text, or undefined. */
  body?: unknown;
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  method: string;
  url: string;
  /** Seconds the server asked to wait (Retry-After), if it sent a valid value. */
  retryAfter?: number | undefined;
  /** Set when the token was withheld from this request because of its origin. */
  withheldToken?: WithheldToken | undefined;
  cause?: unknown;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const MAX_BODY_TEXT_IN_MESSAGE = 200;

/** Reads Invenio's `errors` (and oarepo's `request_payload_errors`) into {@link FieldError}s. */
function parseFieldErrors(body: unknown): FieldError[] {
  if (typeof body !== "object" || body === null) return [];
  const out: FieldError[] = [];
  const record = body as Record<string, unknown>;
  for (const key of ["errors", "request_payload_errors"]) {
    const list = record[key];
    if (!Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      if (typeof item !== "object" || item === null) continue;
      const entry = item as Record<string, unknown>;
      const field = typeof entry.field === "string" ? entry.field : "";
      const raw = entry.messages ?? entry.message;
      const messages = (Array.isArray(raw) ? (raw as unknown[]) : [raw])
        .filter((m) => m !== undefined && m !== null)
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m)));
      out.push({ field, messages });
    }
  }
  return out;
}

/** Pulls a human message out of a JSON error body or a short text body (HTML from a proxy). */
function serverMessageOf(body: unknown): string | undefined {
  if (typeof body === "object" && body !== null) {
    const message = (body as Record<string, unknown>).message;
    return typeof message === "string" && message.trim() ? message.trim() : undefined;
  }
  if (typeof body === "string") {
    const text = body
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    if (!text) return undefined;
    return text.length > MAX_BODY_TEXT_IN_MESSAGE
      ? `${text.slice(0, MAX_BODY_TEXT_IN_MESSAGE)}…`
      : text;
  }
  return undefined;
}

/**
 * The server answered with an error status.
 *
 * Built by {@link APIError.fromResponse}, which picks the subclass by status so callers can
 * `catch (e) { if (e instanceof NotFoundError) … }` instead of comparing numbers.
 */
export class APIError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.ApiError;
  /** HTTP status code. */
  readonly status: number;
  /** The server's own message (Invenio's `message`), without status or request decoration. */
  readonly serverMessage: string | undefined;
  /** Field-level validation errors, possibly empty. */
  readonly errors: FieldError[];
  /** The HTTP method of the failed request. */
  readonly method: string;
  /** The request URL with credentials redacted. */
  readonly url: string;
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  readonly body: unknown;
  /** Response headers. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Seconds the server asked to wait before retrying, when it sent `Retry-After`. */
  readonly retryAfter: number | undefined;
  /**
   * Set when the request went to another origin than the configured one, so the token was not
   * sent: a 401 or 403 then usually means the repository links to itself under another address
   * (its `SITE_API_URL`) than the one configured.
   */
  readonly withheldToken: WithheldToken | undefined;
  /**
   * Why the client stopped retrying this status, when it was a retryable one: `"exhausted"` when
   * it answered so on every attempt until `retryCount` ran out, `"retry-after-too-long"` when the
   * server asked to wait longer than `maxRetryAfter`, `"max-wait"` when the next wait would have
   * overrun the client's total `maxRetryWait`. Set by the client before it throws, so that a
   * message can tell "try later, we gave up" from "the server wants an hour".
   */
  retryStop: "exhausted" | "retry-after-too-long" | "max-wait" | undefined;

  constructor(message: string, init: APIErrorInit) {
    super(message, { cause: init.cause });
    this.status = init.status;
    this.serverMessage = serverMessageOf(init.body);
    this.errors = parseFieldErrors(init.body);
    this.method = init.method.toUpperCase();
    this.url = redactUrl(init.url);
    this.body = init.body;
    this.headers = redactHeaders(init.headers ?? {});
    this.retryAfter = init.retryAfter;
    this.withheldToken = init.withheldToken;
    this.retryStop = undefined;
  }

  /**
   * Builds the right subclass for a response status, with a message such as
   * `404 Not Found: The persistent identifier does not exist. (GET https://host/api/x)`.
   */
  static fromResponse(init: APIErrorInit): APIError {
    const Cls = errorClassFor(init.status);
    const statusText = STATUS_TEXT[init.status] ?? "";
    const serverMessage = serverMessageOf(init.body);
    const fieldErrors = parseFieldErrors(init.body);
    let message = `${init.status}${statusText ? ` ${statusText}` : ""}`;
    message += serverMessage ? `: ${serverMessage}` : " (no error message in the response)";
    message += ` (${init.method.toUpperCase()} ${redactUrl(init.url)})`;
    for (const fe of fieldErrors) {
      message += `\n  ${fe.field || "(request)"}: ${fe.messages.join(" ")}`;
    }
    if (init.retryAfter) message += `\n  Retry-After: ${init.retryAfter} s`;
    const withheld = init.withheldToken;
    if (withheld && (init.status === 401 || init.status === 403)) {
      message +=
        `\n  The token was not sent: ${withheld.requestOrigin} is not the configured origin ` +
        `${withheld.configuredOrigin}, and the token goes to that origin only. If ` +
        `${withheld.requestOrigin} is the repository's own address (its SITE_API_URL), configure ` +
        `the client with that URL (serverUrl: "${withheld.requestOrigin}").`;
    }
    return new Cls(message, init);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      serverMessage: this.serverMessage,
      errors: this.errors,
      method: this.method,
      url: this.url,
      retryAfter: this.retryAfter,
      ...(this.retryStop ? { retryStop: this.retryStop } : {}),
      ...(this.withheldToken ? { withheldToken: { ...this.withheldToken } } : {}),
    };
  }
}

/** 400: validation failed or the request was malformed; see `errors` for field messages. */
export class BadRequestError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.BadRequest;
}
/** 401: the credentials were rejected (usually by a proxy; Invenio itself answers 403). */
export class AuthenticationError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.Authentication;
}
/**
 * 403: not allowed with these credentials (an invalid token counts as anonymous,
 * docs/protocol/conventions.md#authentication).
 */
export class PermissionDeniedError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.PermissionDenied;
}
/** 404: the resource does not exist. */
export class NotFoundError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.NotFound;
}
/** 405: the resource exists but does not accept this method. */
export class MethodNotAllowedError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.MethodNotAllowed;
}
/** 409: the request conflicts with the resource's current state. */
export class ConflictError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.Conflict;
}
/** 410: the record was deleted (tombstone). */
export class GoneError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.Gone;
}
/** 412: the `If-Match` revision did not match (someone else changed the record). */
export class PreconditionFailedError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.PreconditionFailed;
}
/** 415: the server does not accept this `Content-Type`. */
export class UnsupportedMediaTypeError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.UnsupportedMediaType;
}
/** 422: the body was understood but is semantically invalid. */
export class UnprocessableEntityError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.UnprocessableEntity;
}
/** 429: rate limited; `retryAfter` says how long the server asked to wait. */
export class RateLimitError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.RateLimited;
}
/** 5xx: the server failed (after retries, when the request was retryable). */
export class InternalServerError extends APIError {
  static override readonly CODE: ErrorCode = ErrorCodes.ServerError;
}

const BY_STATUS: ReadonlyMap<number, typeof APIError> = new Map<number, typeof APIError>([
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [405, MethodNotAllowedError],
  [409, ConflictError],
  [410, GoneError],
  [412, PreconditionFailedError],
  [415, UnsupportedMediaTypeError],
  [422, UnprocessableEntityError],
  [429, RateLimitError],
]);

function errorClassFor(status: number): typeof APIError {
  if (status >= 500) return InternalServerError;
  return BY_STATUS.get(status) ?? APIError;
}

/**
 * A structured query with a part that has no query-string form, so it cannot be sent.
 *
 * Structured queries are sent as a query string on every repository (plain InvenioRDM has no
 * search that takes a body, and NRP servers on oarepo 12/13 ignore one).
 *
 * Raised before any request, so nothing reaches the server; `path` names the part refused.
 */
export class UnsupportedQueryError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.UnsupportedQuery;
  /** Where in the query the refused part is, e.g. `bool.must[1].geo_distance`. */
  readonly path: string;

  constructor(message: string, path: string, options: NRPErrorOptions = {}) {
    super(message, options);
    this.path = path;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path };
  }
}

/** Details of a failed connection. */
export interface APIConnectionErrorInit extends NRPErrorOptions {
  method: string;
  url: string;
  /** The low-level error code, e.g. `ECONNRESET` or `UND_ERR_SOCKET`. */
  causeCode?: string | undefined;
}

/**
 * No usable response: connection refused or reset, DNS failure, TLS verification failure.
 *
 * Separate from {@link APIError} because there is no status to look at; `causeCode` says what broke.
 */
export class APIConnectionError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.Connection;
  /** The HTTP method of the failed request. */
  readonly method: string;
  /** The request URL with credentials redacted. */
  readonly url: string;
  /** The low-level error code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`, `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly causeCode: string | undefined;

  constructor(message: string, init: APIConnectionErrorInit) {
    super(message, init);
    this.method = init.method.toUpperCase();
    this.url = redactUrl(init.url);
    this.causeCode = init.causeCode;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), method: this.method, url: this.url, causeCode: this.causeCode };
  }
}

/**
 * In a browser: the repository is reachable but does not allow the page's origin (CORS), so the
 * browser withheld its answer. Never retried, since no retry heals it: the repository's CORS
 * configuration must list the origin named in the message.
 */
export class CorsRefusedError extends APIConnectionError {
  static override readonly CODE: ErrorCode = ErrorCodes.CorsRefused;
}

/** The server did not answer within the per-attempt `timeout`. */
export class APIConnectionTimeoutError extends APIConnectionError {
  static override readonly CODE: ErrorCode = ErrorCodes.Timeout;
}

/**
 * A JSON call's attempt ran past the client's total `deadline` (headers and whole body).
 *
 * The per-chunk `timeout` never fires for a server that trickles a byte now and then; this bounds
 * the whole exchange. A timeout like any other, so it is retried and maps to the network exit code.
 */
export class DeadlineExceededError extends APIConnectionTimeoutError {
  static override readonly CODE: ErrorCode = ErrorCodes.DeadlineExceeded;
}

/** Details of a {@link ResponseTooLargeError}. */
export interface ResponseTooLargeErrorInit extends NRPErrorOptions {
  /** The HTTP method of the request. */
  method: string;
  /** The request URL (redacted here). */
  url: string;
  /** The most bytes that were allowed. */
  limit: number;
}

/**
 * The server sent more bytes than allowed: a JSON body over `maxJsonSize`
 * (`NRP_RESPONSE_TOO_LARGE`), or a file body longer than its announced size
 * (`NRP_DOWNLOAD_TOO_LARGE`).
 *
 * Reading stops at the limit, so a runaway or hostile server cannot fill memory or the disk.
 */
export class ResponseTooLargeError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.ResponseTooLarge;
  /** The HTTP method of the request. */
  readonly method: string;
  /** The request URL with credentials redacted. */
  readonly url: string;
  /** The most bytes that were allowed. */
  readonly limit: number;

  constructor(message: string, init: ResponseTooLargeErrorInit) {
    super(message, init);
    this.method = init.method.toUpperCase();
    this.url = redactUrl(init.url);
    this.limit = init.limit;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), method: this.method, url: this.url, limit: this.limit };
  }
}

/**
 * The caller aborted the call through its `AbortSignal` (or closed the client).
 *
 * Never retried; distinct from a timeout so that a CLI can exit 130 instead of reporting a failure.
 */
export class APIUserAbortError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.Aborted;

  constructor(message = "The request was aborted.", options: NRPErrorOptions = {}) {
    super(message, options);
  }
}

/** One part of a multipart upload: its 1-based number and byte range `[start, end)`. */
export interface UploadPart {
  /** 1-based part number, as in `links.parts[].part`. */
  part: number;
  /** Offset of the part's first byte in the file. */
  start: number;
  /** Offset just past the part's last byte. */
  end: number;
}

/** Details of an {@link UploadError}. */
export interface UploadErrorInit extends NRPErrorOptions {
  key: string;
  /** Parts the server acknowledged before the upload stopped (empty for a single-request upload). */
  completedParts?: readonly number[] | undefined;
  /** Parts that failed for good (their last error is the `cause`, or in `errors`). */
  failedParts?: readonly number[] | undefined;
  /** Whether the pending file was left on the server for a later resume. */
  pendingKept?: boolean | undefined;
  /** Every part error, in the order they happened. */
  errors?: readonly unknown[] | undefined;
}

/**
 * An upload stopped before the file was committed.
 *
 * Carries the parts that made it and the parts that did not, so that a caller (the CLI's upload
 * journal) can resume with `resume: { completedParts }` instead of sending everything again. The
 * first part error is the `cause`; nothing is swallowed.
 */
export class UploadError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.UploadFailed;
  /** The file key. */
  readonly key: string;
  /** Acknowledged part numbers, ascending. */
  readonly completedParts: readonly number[];
  /** Part numbers that failed, ascending. */
  readonly failedParts: readonly number[];
  /** True when the pending file was kept on the server (`keepPendingOnFailure`). */
  readonly pendingKept: boolean;
  /** All part errors, first one first (the same as `cause` when there was one). */
  readonly errors: readonly unknown[];

  constructor(message: string, init: UploadErrorInit) {
    super(message, init);
    this.key = init.key;
    this.completedParts = [...(init.completedParts ?? [])].sort((a, b) => a - b);
    this.failedParts = [...(init.failedParts ?? [])].sort((a, b) => a - b);
    this.pendingKept = init.pendingKept ?? false;
    this.errors = [...(init.errors ?? (init.cause === undefined ? [] : [init.cause]))];
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      key: this.key,
      completedParts: this.completedParts,
      failedParts: this.failedParts,
      pendingKept: this.pendingKept,
    };
  }
}

/**
 * Content whose md5 differs from the checksum the repository stores for it.
 *
 * Raised after an upload (the committed checksum is not the one computed while sending) and after a
 * download (the bytes received are not the bytes stored); in both cases nothing unverified is kept.
 */
export class ChecksumMismatchError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.ChecksumMismatch;
  /** The file key. */
  readonly key: string;
  /** What the repository says, e.g. `md5:…`. */
  readonly expected: string;
  /** What the client computed, e.g. `md5:…`. */
  readonly actual: string;

  constructor(
    message: string,
    init: { key: string; expected: string; actual: string } & NRPErrorOptions,
  ) {
    super(message, init);
    this.key = init.key;
    this.expected = init.expected;
    this.actual = init.actual;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), key: this.key, expected: this.expected, actual: this.actual };
  }
}

/**
 * A file key that would write outside the target directory (`../x`, `/etc/passwd`, NUL, `a\\..\\b`).
 *
 * Keys come from the server, so a hostile or broken repository must not be able to choose where a
 * download lands; the check runs before any file is opened.
 */
export class UnsafeFileKeyError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.UnsafeFileKey;
  /** The key as given. */
  readonly key: string;
  /** Why it was refused. */
  readonly reason: string;

  constructor(key: string, reason: string, options: NRPErrorOptions = {}) {
    super(`Refusing file key ${JSON.stringify(key)}: ${reason}.`, options);
    this.key = key;
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), key: this.key, reason: this.reason };
  }
}

// `util.inspect` would print every own property and the whole `cause` chain, where foreign errors
// may carry request objects. Print the redacted JSON form, the cause's one-line summary and the
// stack instead.
Object.defineProperty(NRPError.prototype, INSPECT, {
  value(this: NRPError, _depth: number, options: object, inspect: Inspect) {
    const { name: _name, message: _message, ...details } = this.toJSON();
    if (this.cause instanceof Error) details.cause = `${this.cause.name}: ${this.cause.message}`;
    return `${this.stack ?? `${this.name}: ${this.message}`} ${inspect(details, { ...options, depth: 3 })}`;
  },
  enumerable: false,
});
