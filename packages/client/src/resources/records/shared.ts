// What the record object, its draft/publish workflow and the Records collection share: reading a
// record's model, files and requests, InvenioRDM's review, and small helpers over record JSON.

import { APIError, NRPError, NotFoundError } from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import { flavourOf } from "../../internal/flavour.js";
import type { HttpResponse } from "../../internal/http.js";
import { matchApiUrl } from "../../internal/ids.js";
import type { ModelUrls } from "../../internal/ids.js";
import { isObject } from "../../internal/json.js";
import { draftUrl } from "../../internal/rdm-review.js";
import { recordStateOf } from "../../internal/record-state.js";
import type { ResourceContext } from "../context.js";
import { NRPRecordFiles } from "../files.js";
import type { NRPModelInfo } from "../info.js";
import { hitsOf } from "../page.js";
import { NRPRecordRequests } from "../requests.js";
import type { RecordReadOptions } from "./options.js";

/** What a record needs from its client: the whole {@link ResourceContext}. */
export type RecordContext = ResourceContext;

/** The response details of an API error, to rebuild it with a clearer message. */
export function apiErrorInit(error: APIError): {
  status: number;
  body: unknown;
  headers: APIError["headers"];
  method: string;
  url: string;
  retryAfter: number | undefined;
} {
  return {
    status: error.status,
    body: error.body,
    headers: error.headers,
    method: error.method,
    url: error.url,
    retryAfter: error.retryAfter,
  };
}

/** Any thrown value as an NRPError (createMany results carry only those). */
export function asNRPError(error: unknown): NRPError {
  if (error instanceof NRPError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NRPError(message, { cause: error });
}

/** The `ETag` header of an answer, if any. */
export function etagOf(res: HttpResponse<unknown>): string | undefined {
  const etag = res.headers.etag;
  return typeof etag === "string" ? etag : Array.isArray(etag) ? etag[0] : undefined;
}

/** The API and HTML URL prefixes of the models, for matching record URLs. */
export function modelUrls(models: readonly NRPModelInfo[]): ModelUrls[] {
  return models.map((m) => ({ name: m.name, url: m.url, html: m.links.html }));
}

/** Which model a record read from `url` belongs to: by URL, then `$schema`, then the only model. */
export async function modelOf(
  ctx: RecordContext,
  url: string,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<string> {
  const models = await ctx.info.models({ signal });
  const links = isObject(data.links) ? data.links : {};
  for (const candidate of [url, links.self]) {
    if (typeof candidate !== "string") continue;
    const match = matchApiUrl(candidate, modelUrls(models));
    if (match) return match.model;
  }
  const schema = data.$schema;
  if (typeof schema === "string") {
    const bySchema = models.find((m) => m.schemas.includes(schema));
    if (bySchema) return bySchema.name;
  }
  const repo = await ctx.info.repository({ signal });
  return repo.defaultModel ?? (models.length === 1 ? (models[0]?.name ?? "") : "");
}

/** A record's files and requests, fetched as `includeFiles` / `includeRequests` ask. */
export interface RelatedLists {
  files?: NRPRecordFiles | undefined;
  requests?: NRPRecordRequests | undefined;
}

/** The string links of a record JSON. */
export function linksOf(data: Json): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(data.links)) {
    for (const [k, v] of Object.entries(data.links)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** Fetches the files and requests of a record, as `includeFiles` / `includeRequests` ask. */
export async function fetchRelated(
  ctx: RecordContext,
  data: Json,
  options: RecordReadOptions,
): Promise<RelatedLists> {
  const http = ctx.http;
  const links = linksOf(data);
  const signal = options.signal;
  const related: RelatedLists = {};
  if (options.includeFiles) {
    related.files = links.files
      ? new NRPRecordFiles(
          asObject((await http.getJSON(links.files, { signal })).body),
          ctx,
          links.files,
        )
      : new NRPRecordFiles({ enabled: false, entries: [] }, ctx);
  }
  if (options.includeRequests) {
    const repo = await ctx.info.repository({ signal });
    if (flavourOf(repo).recordRequests === "review") {
      related.requests = new NRPRecordRequests([], await rdmRecordRequests(ctx, data, signal), ctx);
      return related;
    }
    const [types, requests] = await Promise.all(
      [links["applicable-requests"], links.requests].map(async (url, i) =>
        url
          ? hitsOf(
              (await http.getJSON(url, { query: i === 1 ? { size: 1000 } : undefined, signal }))
                .body,
            )
          : [],
      ),
    );
    related.requests = new NRPRecordRequests(types ?? [], requests ?? [], ctx);
  }
  return related;
}

/**
 * The review of an InvenioRDM draft (`GET …/draft/review`), or undefined when it has none (404).
 */
export async function rdmReview(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<Json | undefined> {
  const links = linksOf(data);
  const url = links.review ?? (links.self ? draftUrl(links.self, "review") : undefined);
  if (url === undefined) return undefined;
  try {
    const res = await ctx.http.getJSON(url, { signal });
    return isObject(res.body) ? res.body : undefined;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * The requests of an InvenioRDM record: a draft never published has only its review (its
 * `…/requests` is 404 until published); a published record, or its edit draft, lists them at
 * `links.requests`.
 */
export async function rdmRecordRequests(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<Json[]> {
  const out: Json[] = [];
  const state = recordStateOf(data);
  if (state.draft && !state.published) {
    const review = await rdmReview(ctx, data, signal);
    if (review !== undefined) out.push(review);
  }
  const url = linksOf(data).requests;
  if (state.published && url !== undefined) {
    const res = await ctx.http.getJSON(url, { query: { size: 1000 }, signal });
    for (const hit of hitsOf(res.body)) if (!out.some((r) => r.id === hit.id)) out.push(hit);
  }
  return out;
}

/**
 * How many files a record or draft has: InvenioRDM's `files.count` or `files.entries`; NRP's
 * `files` is only `{enabled}`, so there the file list (`GET links.files`) is counted.
 */
export async function fileCount(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<number> {
  const files = data.files;
  if (!isObject(files) || files.enabled === false) return 0;
  if (typeof files.count === "number") return files.count;
  if (isObject(files.entries)) return Object.keys(files.entries).length;
  const url = linksOf(data).files;
  if (url === undefined) return 0;
  const list = asObject((await ctx.http.getJSON(url, { signal })).body);
  return Array.isArray(list.entries) ? list.entries.length : 0;
}

/** Whether an applicable-requests entry lets the caller create the request now. */
export function hasCreateLink(entry: Json): boolean {
  const links = isObject(entry.links) ? entry.links : {};
  return isObject(links.actions) && typeof links.actions.create === "string";
}

/** `value` when it is a JSON object, else `{}`. */
export function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}
