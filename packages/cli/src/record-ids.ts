import type { NRPError, NRPInvenioClient, NRPRecord } from "nrp-invenio-client";

import { loadClient, loadedClient } from "./client-module.js";
import type { CommandContext } from "./context.js";
import { DEFAULT_MAX_WAIT } from "./context.js";
import { CliError, ExitCode, UsageError, reportError, withHint } from "./errors.js";
import type { SetTarget } from "./variables.js";
import { checkVariableName } from "./variables.js";

/** The environment variable naming a DataCite-compatible API used to resolve DOIs. */
export const DOI_RESOLVER_ENV = "NRP_DOI_RESOLVER_URL";

/**
 * Which form of a record a command works on.
 *
 * `draft`: update, delete and publish change drafts only, so any id is turned into its draft.
 * `published`: edit and new version start from the published record.
 * `given`: read exactly what the id names.
 */
export type RecordForm = "draft" | "published" | "given";

/**
 * Expands `@name` arguments into the variable's values; other arguments pass through.
 *
 * With `single`, a variable holding several values is a usage error: a command that takes one
 * record must not silently pick the first.
 */
export async function expandIds(
  ctx: CommandContext,
  args: readonly string[],
  options: { single?: boolean } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith("@")) {
      out.push(arg);
      continue;
    }
    const name = checkVariableName(arg);
    const alias = await ctx.aliasName();
    const values = (await ctx.variables()).require(alias, name);
    if (values.length === 0) throw new UsageError(`The variable @${name} is empty.`);
    if (options.single === true && values.length > 1) {
      throw new UsageError(
        `The variable @${name} holds ${values.length} values, but this command takes one record.`,
        `See them with "nrp get variable ${name}".`,
      );
    }
    out.push(...values);
  }
  return out;
}

type IdKind = "doi" | "url" | "mid";

/** Tells DOIs, URLs and mids apart, as the library's record getter does. */
export function idKind(id: string): IdKind {
  const value = id.trim();
  if (/^doi:/i.test(value) || /^https?:\/\/(dx\.)?doi\.org\//i.test(value)) return "doi";
  if (/^10\.\d{4,9}(\.\d+)*\/\S+$/.test(value)) return "doi";
  if (/^https?:\/\//i.test(value)) return "url";
  return "mid";
}

/**
 * Rewrites an id to the wanted form without a network call where its shape allows: a mid gains or
 * loses its `draft/` prefix, an API URL its `/draft` suffix. Landing pages and DOIs are left alone
 * and corrected after reading (see {@link resolveRecord}).
 *
 * Reading the right form directly avoids a 404 when, say, the draft named by a variable has since
 * been published and `nrp edit record @r` wants the published record.
 */
export function toForm(id: string, form: RecordForm): string {
  if (form === "given") return id;
  const kind = idKind(id);
  if (kind === "mid") {
    const parts = id.trim().split("/");
    const isDraft = parts[0] === "draft" && parts.length >= 2;
    if (form === "draft") return isDraft ? id : `draft/${id.trim()}`;
    return isDraft ? parts.slice(1).join("/") : id;
  }
  if (kind === "url") {
    let url: URL;
    try {
      url = new URL(id);
    } catch {
      return id;
    }
    if (!url.pathname.startsWith("/api/")) return id;
    const path = url.pathname.replace(/\/+$/, "");
    const isDraft = path.endsWith("/draft");
    if (form === "draft" && !isDraft) url.pathname = `${path}/draft`;
    else if (form === "published" && isDraft) url.pathname = path.slice(0, -"/draft".length);
    else return id;
    return url.toString();
  }
  return id;
}

/** What to read besides the record itself. */
export interface ReadExtras {
  includeFiles?: boolean;
  includeRequests?: boolean;
  expand?: boolean;
}

async function clientForKind(
  ctx: CommandContext,
  kind: IdKind,
): Promise<NRPInvenioClient | undefined> {
  try {
    return await ctx.client();
  } catch (err) {
    // A URL or DOI of any repository can be read without a configured alias (anonymously).
    if (kind !== "mid" && err instanceof (await loadClient()).ConfigError) return undefined;
    throw err;
  }
}

/** A bare record id (`abcde-12345`, or `draft/abcde-12345`): no model, no URL. */
function bareId(id: string): { id: string; draft: boolean } | undefined {
  const parts = id.trim().split("/");
  if (parts.length === 1 && parts[0] !== "") return { id: parts[0] ?? "", draft: false };
  if (parts.length === 2 && parts[0] === "draft" && parts[1] !== "") {
    return { id: parts[1] ?? "", draft: true };
  }
  return undefined;
}

/**
 * Reads a bare id on a repository without a default model: each model in turn, the published
 * record first and then the caller's draft (unless the id asked for the draft). A 403 (a draft of
 * someone else) is remembered and reported when nothing readable is found.
 *
 * Ids shown in tables have no model; pasting one back must work.
 */
async function readBare(
  ctx: CommandContext,
  client: NRPInvenioClient,
  bare: { id: string; draft: boolean },
  extras: ReadExtras,
): Promise<NRPRecord> {
  const lib = await loadClient();
  const models = await client.info.models({ signal: ctx.signal });
  const forms = bare.draft ? [true] : [false, true];
  let refused: Error | undefined;
  for (const draft of forms) {
    for (const model of models) {
      try {
        return await client.records.getById(model.name, bare.id, {
          draft,
          signal: ctx.signal,
          includeFiles: extras.includeFiles,
          includeRequests: extras.includeRequests,
          expand: extras.expand,
        });
      } catch (err) {
        if (err instanceof lib.NotFoundError || err instanceof lib.GoneError) continue;
        if (err instanceof lib.PermissionDeniedError) {
          refused ??= err;
          continue;
        }
        throw err;
      }
    }
  }
  if (refused !== undefined) throw refused;
  const names = models.map((m) => m.name).join(", ");
  throw new CliError(
    `No record or draft ${bare.id} in any model of ${client.serverUrl} (${names || "none"}).`,
    {
      exitCode: ExitCode.notFound,
      code: "not_found",
      hint: "Check the id (nrp search records shows them); a draft can be read by its owner only.",
    },
  );
}

/**
 * The client library's message for an id it cannot parse, in the CLI's words: it names the
 * library's entry point, which means nothing on the command line.
 */
function invalidIdError(err: NRPError, id: string): CliError {
  const message = err.message.replace(/\s*\(recordGetter[^)]*\)/, "").replace(/\.?$/, ".");
  return new CliError(message, {
    exitCode: ExitCode.usage,
    code: err.code,
    hint:
      `Name a record as "model/id", "draft/model/id", a bare id, an API or landing page URL, or ` +
      `a DOI; "${id}" is none of these.`,
    cause: err,
  });
}

async function read(
  ctx: CommandContext,
  id: string,
  extras: ReadExtras,
  client: NRPInvenioClient | undefined,
): Promise<NRPRecord> {
  try {
    return await readAny(ctx, id, extras, client);
  } catch (err) {
    const lib = await loadClient();
    if (!(err instanceof lib.InvalidRecordIdError)) throw err;
    const bare = bareId(id);
    if (bare === undefined || client === undefined) throw invalidIdError(err, id);
    return readBare(ctx, client, bare, extras);
  }
}

async function readAny(
  ctx: CommandContext,
  id: string,
  extras: ReadExtras,
  client: NRPInvenioClient | undefined,
): Promise<NRPRecord> {
  const resolver = ctx.env[DOI_RESOLVER_ENV];
  const { recordGetter } = await loadClient();
  const record = await recordGetter(await ctx.config(), id, {
    client,
    signal: ctx.signal,
    includeFiles: extras.includeFiles,
    includeRequests: extras.includeRequests,
    expand: extras.expand,
    clientOptions: {
      onRetry: ctx.onRetry,
      maxRetryWait: ctx.globals.maxWait ?? DEFAULT_MAX_WAIT,
    },
    ...(resolver !== undefined && resolver !== "" ? { doiResolverUrl: resolver } : {}),
  });
  if (record.client !== client) ctx.adopt(record.client);
  return record;
}

function notFoundHint(id: string, form: RecordForm): string | undefined {
  if (form === "draft") {
    return `If ${id} is published and has no draft, open one with "nrp edit record ${id}".`;
  }
  if (form === "published") {
    return (
      "This command starts from a published record; if the id names a draft that was never " +
      `published, publish it first ("nrp publish record ${id}").`
    );
  }
  if (idKind(id) === "mid" && id.startsWith("draft/")) {
    return "If the draft has been published since, ask for the published record with --published.";
  }
  if (idKind(id) === "url" && /\/draft\/?$/.test(id)) {
    return "If the draft has been published since, ask for the published record with --published.";
  }
  return undefined;
}

/**
 * Reads a record named by any id form (mid, bare id, API or landing page URL, DOI) in the form a
 * command needs, following `links.draft` / `links.record` when the id named the other form.
 */
export async function resolveRecord(
  ctx: CommandContext,
  id: string,
  form: RecordForm,
  extras: ReadExtras = {},
): Promise<NRPRecord> {
  const wanted = toForm(id, form);
  const client = await clientForKind(ctx, idKind(wanted));
  let record: NRPRecord;
  try {
    record = await read(ctx, wanted, extras, client);
  } catch (err) {
    const { NotFoundError } = await loadClient();
    if (err instanceof NotFoundError && idKind(wanted) === "doi" && err.url.includes("/dois/")) {
      throw new CliError(`The DOI ${id} is not registered (asked ${new URL(err.url).origin}).`, {
        exitCode: ExitCode.notFound,
        code: "doi_not_found",
        hint: `Check the DOI; set ${DOI_RESOLVER_ENV} to use another DataCite-compatible resolver.`,
        cause: err,
      });
    }
    const hint = err instanceof NotFoundError ? notFoundHint(id, form) : undefined;
    throw hint === undefined ? err : withHint(err, hint);
  }
  if (form === "draft" && !record.isDraft) {
    const draft = record.links["draft"];
    if (draft === undefined) {
      throw new CliError(`${record.mid} has no draft.`, {
        exitCode: ExitCode.notFound,
        code: "no_draft",
        hint: `Open one with "nrp edit record ${record.mid}".`,
      });
    }
    return read(ctx, draft, extras, record.client);
  }
  if (form === "published" && record.isDraft) {
    const published = record.links["record"];
    if (published === undefined) {
      throw new CliError(`${record.mid} has not been published yet.`, {
        exitCode: ExitCode.notFound,
        code: "not_published",
        hint: `Publish it first with "nrp publish record ${record.mid}".`,
      });
    }
    return read(ctx, published, extras, record.client);
  }
  return record;
}

/**
 * The id of the record's other form (draft or published) when the id's shape tells: a mid with or
 * without `draft/`, an API URL with or without `/draft`. Undefined for landing pages and DOIs.
 */
export function otherFormId(id: string): string | undefined {
  const published = toForm(id, "published");
  if (published !== id) return published;
  const draft = toForm(id, "draft");
  return draft !== id ? draft : undefined;
}

function isNotFound(err: unknown): boolean {
  // Read errors come from the library, which is loaded by then.
  const lib = loadedClient();
  if (lib !== undefined && err instanceof lib.NotFoundError) return true;
  return err instanceof CliError && err.exitCode === ExitCode.notFound;
}

/**
 * Reads the record an id names in whichever form exists now: when the named form is gone (the
 * draft `@VAR` holds has since been published, or a published record has only a draft so far),
 * the other form is read instead.
 *
 * Request commands pick the form by where the request type applies, so a state change must not
 * break a stored `@VAR`.
 */
export async function resolveExisting(
  ctx: CommandContext,
  id: string,
  extras: ReadExtras = {},
): Promise<NRPRecord> {
  try {
    return await resolveRecord(ctx, id, "given", extras);
  } catch (err) {
    const other = otherFormId(id);
    if (other === undefined || !isNotFound(err)) throw err;
    try {
      return await resolveRecord(ctx, other, "given", extras);
    } catch (second) {
      if (!isNotFound(second)) throw second;
      const report = reportError(err);
      throw new CliError(`${report.message} (${id}; ${other} does not exist either)`, {
        exitCode: ExitCode.notFound,
        code: report.code,
        hint: "Check the id; a deleted record cannot be read.",
        cause: err,
      });
    }
  }
}

/**
 * What a `--set` variable stores for a record: its API self URL, which names the repository, the
 * model, the id and the draft-or-published form at once, so `@name` resolves without guessing.
 */
export function variableValue(record: NRPRecord): string {
  return record.links["self"] ?? record.mid;
}

/** Stores records under a `--set` target and says so on stderr. */
export async function storeVariable(
  ctx: CommandContext,
  target: SetTarget | undefined,
  records: readonly NRPRecord[],
): Promise<void> {
  await storeValues(ctx, target, records.map(variableValue));
}

/** Stores values (API URLs) under a `--set` target and says so on stderr. */
export async function storeValues(
  ctx: CommandContext,
  target: SetTarget | undefined,
  urls: readonly string[],
): Promise<void> {
  if (target === undefined) return;
  const alias = await ctx.aliasName();
  const store = await ctx.variables();
  const values = store.set(alias, target.name, [...urls], target.append);
  await store.save();
  ctx.output.info(
    `Stored in @${target.name}` +
      (values.length > 1 ? ` (${values.length} values).` : `: ${values[0] ?? ""}`),
  );
}
