import { CommanderError } from "commander";
import type { APIError, NRPError } from "nrp-invenio-client";

import type { ClientLibrary } from "./client-module.js";
import { loadedClient } from "./client-module.js";

/**
 * The documented exit codes of `nrp`.
 *
 * Scripts branch on these, so they are part of the CLI's public contract and never renumbered.
 */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** Something nrp did not expect: a bug, reported with a stack trace. */
  unexpected: 1,
  /** Bad flags or arguments, or a problem in the configuration file. */
  usage: 2,
  /** The server refused the credentials (401) or the action (403). */
  auth: 3,
  /** The record, model or resource does not exist (404, unknown model). */
  notFound: 4,
  /** The server rejected the request as invalid or conflicting (400, 409, 412, 422). */
  conflict: 5,
  /** The server could not be reached, timed out, or kept failing (5xx) after retries. */
  network: 6,
  /** The server asked to wait longer than the client is willing to. */
  rateLimited: 7,
  /** The command was interrupted (SIGINT). */
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A field-level message, as Invenio reports validation errors. */
export interface FieldMessage {
  /** The dotted path of the field, e.g. `metadata.title`. */
  field: string;
  /** What is wrong with it. */
  messages: string[];
}

/**
 * A failure the user can fix: printed as one line, without a stack trace.
 *
 * Separating user errors from bugs (as wrangler's `UserError` does) keeps the output short when the
 * cause is the input, and loud when the cause is nrp itself.
 */
export class CliError extends Error {
  /** The process exit code this failure maps to. */
  readonly exitCode: ExitCodeValue;
  /** A stable machine-readable code, e.g. `usage` or the client's error code. */
  readonly code: string;
  /** Field-level details, printed indented under the message. */
  readonly fields: readonly FieldMessage[];
  /** A suggestion printed on its own line after the message. */
  readonly hint: string | undefined;
  /** Exit without printing anything: the user chose to stop (a declined confirmation). */
  readonly quiet: boolean;

  constructor(
    message: string,
    options: {
      exitCode?: ExitCodeValue;
      code?: string;
      fields?: readonly FieldMessage[];
      hint?: string;
      cause?: unknown;
      quiet?: boolean;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.code = options.code ?? "usage";
    this.fields = options.fields ?? [];
    this.hint = options.hint;
    this.quiet = options.quiet ?? false;
  }
}

/**
 * A usage mistake (bad argument, missing flag, conflicting choice): exit code 2.
 *
 * A separate class so commands read as intent: `throw new UsageError("...")`.
 */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint === undefined ? {} : { hint });
    this.name = "UsageError";
  }
}

/** What an error becomes on the terminal: exit code plus the lines to print. */
export interface ErrorReport {
  /** The exit code. */
  exitCode: ExitCodeValue;
  /** A stable code for `--format json` consumers. */
  code: string;
  /** The one-line message, without the `Error: ` prefix. */
  message: string;
  /** Field-level details. */
  fields: readonly FieldMessage[];
  /** A suggestion, if any. */
  hint: string | undefined;
  /** HTTP status, for API errors. */
  status: number | undefined;
  /** True when the failure is a bug in nrp: the stack is printed and the user asked to report it. */
  bug: boolean;
  /** The stack trace, for bugs only. */
  stack: string | undefined;
  /** Print nothing: the user chose to stop. */
  quiet?: boolean;
}

/** Why nrp stopped retrying a transient status before `retryCount` ran out. */
export const MAX_WAIT_HINT =
  "Gave up: the total retry wait (--max-wait) was used up; try again later, or raise --max-wait.";

/** What to do about an untrusted certificate, in terms of nrp's own flags and variables. */
export const TLS_HINT =
  "To trust the server's CA, add the alias again with --ca-bundle <file> (and --force), or use " +
  "--no-verify for a development server; NRP_INVENIO_CLIENT_VERIFY overrides the stored value.";

function isAbort(err: unknown): boolean {
  const lib = loadedClient();
  if (lib !== undefined && err instanceof lib.APIUserAbortError) return true;
  return err instanceof Error && (err.name === "AbortError" || err.name === "APIUserAbortError");
}

/**
 * What to say about a 429, by why nrp stopped: the retries ran out (however short the waits the
 * server asked for), or the server asked for a wait longer than nrp's cap.
 */
function rateLimitHint(err: APIError): string | undefined {
  if (err.retryStop === "exhausted") {
    return "The server kept answering 429 Too Many Requests and nrp used up its retries; try again later.";
  }
  if (err.retryStop === "retry-after-too-long" && err.retryAfter !== undefined) {
    return `The server asked to wait ${err.retryAfter} s, longer than nrp is willing to; try again later.`;
  }
  return err.retryAfter === undefined
    ? undefined
    : `The server asked to wait ${err.retryAfter} s; try again later.`;
}

function apiExitCode(err: APIError, lib: ClientLibrary): ExitCodeValue {
  if (err instanceof lib.AuthenticationError || err instanceof lib.PermissionDeniedError) {
    return ExitCode.auth;
  }
  if (err instanceof lib.NotFoundError) return ExitCode.notFound;
  if (err instanceof lib.RateLimitError) return ExitCode.rateLimited;
  if (
    err instanceof lib.BadRequestError ||
    err instanceof lib.ConflictError ||
    err instanceof lib.PreconditionFailedError ||
    err instanceof lib.UnprocessableEntityError
  ) {
    return ExitCode.conflict;
  }
  if (err instanceof lib.InternalServerError) return ExitCode.network;
  // Statuses without a dedicated code (405, 410, 415, other 4xx) are the request's fault.
  const status = err.status;
  if (status >= 500) return ExitCode.network;
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404 || status === 410) return ExitCode.notFound;
  return ExitCode.conflict;
}

function clientExitCode(err: NRPError, lib: ClientLibrary): ExitCodeValue {
  if (err instanceof lib.ConfigError) return ExitCode.usage;
  if (err instanceof lib.UnknownModelError) return ExitCode.notFound;
  if (err instanceof lib.RateLimitError) return ExitCode.rateLimited;
  if (err instanceof lib.APIConnectionError || err instanceof lib.APIConnectionTimeoutError) {
    return ExitCode.network;
  }
  if (err instanceof lib.APIError) return apiExitCode(err, lib);
  // No repository at that URL: the thing asked for does not exist.
  if (err.code === lib.ErrorCodes.NotInvenio) return ExitCode.notFound;
  if (err.code === lib.ErrorCodes.DoiUnresolved) return ExitCode.notFound;
  if (err.code === lib.ErrorCodes.UnknownCommunity) return ExitCode.notFound;
  // A structured query with a part plain InvenioRDM cannot express: the user's query to change.
  if (err.code === lib.ErrorCodes.UnsupportedQuery) return ExitCode.usage;
  // Publishing or editing is reserved to a curator's request: a permission matter, as the 403 was.
  if (err.code === lib.ErrorCodes.RequestRequired || err.code === lib.ErrorCodes.CannotPublish)
    return ExitCode.auth;
  // The record is in the wrong state for the action (not a draft, already a draft, no such link).
  if (
    err.code === lib.ErrorCodes.NotADraft ||
    err.code === lib.ErrorCodes.AlreadyADraft ||
    err.code === lib.ErrorCodes.MissingLink
  ) {
    return ExitCode.conflict;
  }
  // A request action its links do not offer now (wrong state, or not the caller's to take), a
  // request type the record does not offer now, or a request that ended other than accepted.
  if (
    err.code === lib.ErrorCodes.ActionNotAvailable ||
    err.code === lib.ErrorCodes.RequestNotApplicable ||
    err.code === lib.ErrorCodes.RequestNotAccepted
  ) {
    return ExitCode.conflict;
  }
  // The server answered, but not with what the protocol promises: not JSON (an HTML login page
  // from a proxy, garbage), or redirects without end. The server's problem, not the command's.
  if (
    err.code === lib.ErrorCodes.InvalidResponse ||
    err.code === lib.ErrorCodes.InvalidJson ||
    err.code === lib.ErrorCodes.TooManyRedirects
  ) {
    return ExitCode.network;
  }
  // The server sent more than it may: a JSON body over maxJsonSize, a file past its size.
  if (
    err.code === lib.ErrorCodes.ResponseTooLarge ||
    err.code === lib.ErrorCodes.DownloadTooLarge
  ) {
    return ExitCode.network;
  }
  // An upload that stopped is classified by what stopped it (a 403, a dead connection, ...).
  if (err.code === lib.ErrorCodes.UploadFailed && err.cause instanceof lib.NRPError) {
    return clientExitCode(err.cause, lib);
  }
  if (err.code === lib.ErrorCodes.UploadFailed) return ExitCode.network;
  // The connection broke mid-body after the retries; the partial file is kept for a re-run.
  if (err.code === lib.ErrorCodes.DownloadInterrupted) return ExitCode.network;
  // Bytes that do not match the stored checksum were damaged in transit or in storage.
  if (err.code === lib.ErrorCodes.ChecksumMismatch) return ExitCode.network;
  // A retry of standard input would need bytes that are gone: the cause is the failed request.
  if (err.code === lib.ErrorCodes.SourceNotRetryable) return ExitCode.network;
  // A key that would write outside the directory, or a file not committed yet: the server's data
  // does not allow the action.
  if (err.code === lib.ErrorCodes.UnsafeFileKey || err.code === lib.ErrorCodes.FileNotCommitted) {
    return ExitCode.conflict;
  }
  return ExitCode.usage;
}

/**
 * Whether a connection failed on certificate verification, so the hint can name the CLI's flags
 * rather than the library's `verify` option.
 */
export function isTlsFailure(err: unknown): boolean {
  const lib = loadedClient();
  if (lib === undefined || !(err instanceof lib.APIConnectionError)) return false;
  const code = err.causeCode ?? "";
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/i.test(code) || /\bTLS\b/.test(err.message);
}

/** The first sentence of a client message whose later sentences address library users. */
function firstSentence(message: string): string {
  const end = message.search(/\.\s+[A-Z]/);
  return end === -1 ? message : message.slice(0, end + 1);
}

/**
 * What to do about a 401/403 from a URL that did not get the token because it is on another
 * origin than the alias: usually the repository calls itself by another address (its
 * `SITE_API_URL`) than the one the alias was added with.
 */
function withheldTokenHint(err: APIError): string | undefined {
  const withheld = err.withheldToken;
  if (withheld === undefined || (err.status !== 401 && err.status !== 403)) return undefined;
  return (
    `The token was not sent: the repository linked to ${withheld.requestOrigin}, but the alias ` +
    `is for ${withheld.configuredOrigin}, and the token goes to that origin only. If ` +
    `${withheld.requestOrigin} is the repository's own address (its SITE_API_URL), add the alias ` +
    `again with it: nrp add alias ${withheld.requestOrigin} <alias> --force`
  );
}

function fieldsOf(err: NRPError, lib: ClientLibrary): FieldMessage[] {
  if (!(err instanceof lib.APIError)) return [];
  return err.errors.map((e) => ({ field: e.field, messages: [...e.messages] }));
}

/**
 * Classifies any thrown value into an exit code and the text to show.
 *
 * The client's typed errors (and {@link CliError}) are user-facing; anything else is a bug.
 */
export function reportError(err: unknown): ErrorReport {
  const base = { fields: [] as FieldMessage[], hint: undefined, status: undefined, bug: false };
  const lib = loadedClient();
  if (isAbort(err)) {
    return {
      ...base,
      exitCode: ExitCode.interrupted,
      code: "interrupted",
      message: "Interrupted.",
      stack: undefined,
    };
  }
  if (err instanceof CliError) {
    const inner =
      lib !== undefined && err.cause instanceof lib.NRPError ? reportError(err.cause) : undefined;
    return {
      ...base,
      exitCode: err.exitCode,
      code: err.code,
      message: err.message,
      fields: err.fields.length > 0 ? err.fields : (inner?.fields ?? []),
      hint: err.hint,
      status: inner?.status,
      stack: undefined,
      quiet: err.quiet,
    };
  }
  if (lib !== undefined && err instanceof lib.NRPError) {
    // APIError messages repeat the field errors on extra lines; they are printed from `fields`.
    const message =
      err instanceof lib.APIError
        ? (err.message.split("\n")[0] ?? "")
        : isTlsFailure(err)
          ? firstSentence(err.message)
          : err.message;
    return {
      ...base,
      exitCode: clientExitCode(err, lib),
      code: err.code,
      message,
      hint:
        err instanceof lib.RateLimitError
          ? rateLimitHint(err)
          : isTlsFailure(err)
            ? TLS_HINT
            : err instanceof lib.APIError
              ? err.retryStop === "max-wait"
                ? MAX_WAIT_HINT
                : withheldTokenHint(err)
              : undefined,
      fields: fieldsOf(err, lib),
      status: err instanceof lib.APIError ? err.status : undefined,
      stack: undefined,
    };
  }
  if (err instanceof CommanderError) {
    return {
      ...base,
      exitCode: err.exitCode === 0 ? ExitCode.ok : ExitCode.usage,
      code: err.code,
      message: err.message.replace(/^error: /i, ""),
      stack: undefined,
    };
  }
  const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err);
  return {
    ...base,
    exitCode: ExitCode.unexpected,
    code: "bug",
    message: err instanceof Error ? err.message : String(err),
    bug: true,
    stack,
  };
}

/**
 * Re-throws `err` with a hint attached when it is a user-facing error, keeping its exit code.
 *
 * Lets a command add context ("nothing was saved") without losing the client's classification.
 */
export function withHint(err: unknown, hint: string): unknown {
  if (err instanceof CliError || isAbort(err)) return err;
  const lib = loadedClient();
  if (lib !== undefined && err instanceof lib.NRPError) {
    const r = reportError(err);
    return new CliError(r.message, {
      exitCode: r.exitCode,
      code: r.code,
      fields: r.fields,
      hint,
      cause: err,
    });
  }
  return err;
}

/**
 * Adds `hint(url)` to a 401/403 from the server (bare, or the cause of a {@link CliError}),
 * after any hint it already has; other errors pass unchanged. A token withheld from another
 * origin has its own hint and is left alone.
 */
export function withAuthHint(err: unknown, hint: (url: string) => string | undefined): unknown {
  const lib = loadedClient();
  if (lib === undefined) return err;
  const api =
    err instanceof lib.APIError
      ? err
      : err instanceof CliError && err.cause instanceof lib.APIError
        ? err.cause
        : undefined;
  if (api === undefined || (api.status !== 401 && api.status !== 403)) return err;
  if (api.withheldToken !== undefined) return err;
  const text = hint(api.url);
  if (text === undefined) return err;
  if (err instanceof CliError) {
    return new CliError(err.message, {
      exitCode: err.exitCode,
      code: err.code,
      fields: err.fields,
      hint: err.hint === undefined ? text : `${err.hint}\n${text}`,
      cause: err.cause,
    });
  }
  return withHint(err, text);
}

/**
 * The user declined a confirmation: exit 2 (nothing was done) without an error message, after
 * the command has said what was not done.
 */
export function declined(): CliError {
  return new CliError("Cancelled.", { exitCode: ExitCode.usage, code: "cancelled", quiet: true });
}
