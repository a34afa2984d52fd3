/**
 * One field's validation messages, as Invenio's marshmallow layer reports them
 * (docs/protocol/conventions.md#error-bodies).
 */
export interface FieldError {
  /** Dotted path of the offending field, list indices as numbers; `_schema` for object-level errors. */
  field: string;
  messages: string[];
}

/** The JSON body every error response carries (docs/protocol/conventions.md#error-bodies). */
export interface ErrorBody {
  status: number;
  message: string;
  errors?: FieldError[];
}

/** Werkzeug's NotFound text, which Invenio returns for any unrouted URL. */
export const NOT_FOUND_MESSAGE =
  "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";

/** Werkzeug's MethodNotAllowed text. */
export const METHOD_NOT_ALLOWED_MESSAGE = "The method is not allowed for the requested URL.";

/**
 * Invenio's message for every permission failure, anonymous or authenticated
 * (docs/protocol/conventions.md#authentication).
 */
export const PERMISSION_DENIED_MESSAGE = "Permission denied.";

/** Invenio's message for a marshmallow validation failure. */
export const VALIDATION_MESSAGE = "A validation error occurred.";

/** Default messages for statuses a handler or a fault rule may answer without a message of its own. */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: "The browser (or proxy) sent a request that this server could not understand.",
  401: "The server could not verify that you are authorized to access the URL requested.",
  403: PERMISSION_DENIED_MESSAGE,
  404: NOT_FOUND_MESSAGE,
  405: METHOD_NOT_ALLOWED_MESSAGE,
  408: "The server closed the network connection because the browser didn't finish the request within the specified time.",
  409: "A conflict happened while processing the request.",
  410: "The requested URL is no longer available on this server and there is no forwarding address.",
  412: "The precondition on the request for the URL failed positive evaluation.",
  413: "The data value transmitted exceeds the capacity limit.",
  415: "The server does not support the media type transmitted in the request.",
  422: "The request was well-formed but was unable to be followed due to semantic errors.",
  429: "Too many requests.",
  500: "Internal server error.",
  502: "Bad gateway.",
  503: "Service temporarily unavailable.",
  504: "Gateway timeout.",
};

/** The message used for `status` when nothing more specific is known. */
export function defaultMessage(status: number): string {
  return DEFAULT_MESSAGES[status] ?? (status >= 500 ? "Internal server error." : "Request failed.");
}

/**
 * An error a handler throws to answer with Invenio's JSON error body.
 * Throwing keeps handlers linear: the HTTP core turns it into the response in one place.
 */
export class HttpError extends Error {
  /** HTTP status code of the response. */
  readonly status: number;
  /** Field-level validation messages, sent as `errors` when non-empty. */
  readonly errors: FieldError[];
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra body keys some handlers add, e.g. oarepo's `request_payload_errors`. */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    message: string = defaultMessage(status),
    options: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }

  /** The JSON body Invenio would send for this error. */
  toBody(): ErrorBody & Record<string, unknown> {
    return { ...errorBody(this.status, this.message, this.errors), ...this.extra };
  }
}

/** Builds Invenio's error body; `errors` appears only when there are field messages. */
export function errorBody(status: number, message: string, errors: FieldError[] = []): ErrorBody {
  return errors.length > 0 ? { status, message, errors } : { status, message };
}

/** A 400 validation error with field messages, as marshmallow would report it. */
export function validationError(errors: FieldError[]): HttpError {
  return new HttpError(400, VALIDATION_MESSAGE, { errors });
}
