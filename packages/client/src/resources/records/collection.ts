// `client.records`: reading records by mid, URL or landing page, creating drafts (with their
// InvenioRDM community review) and bulk creation.

import {
  APIError,
  APIUserAbortError,
  ErrorCodes,
  InvalidRecordIdError,
  NRPError,
  NotFoundError,
} from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import { flavourOf } from "../../internal/flavour.js";
import type { HttpResponse } from "../../internal/http.js";
import { linksetUrl, matchApiUrl, matchHtmlUrl, parseMid } from "../../internal/ids.js";
import { isObject } from "../../internal/json.js";
import { runPool } from "../../internal/pool.js";
import { prepareCreateBody } from "../../internal/record-body.js";
import { draftUrl, rdmReviewBody } from "../../internal/rdm-review.js";
import type {
  CreateManyOptions,
  CreateManyResult,
  CreateRecordOptions,
  GetByIdOptions,
  RecordId,
  RecordReadOptions,
} from "./options.js";
import type { NRPSearchResponse, SearchOptions } from "../search.js";
import { NRPRecord, readRecord } from "./record.js";
import { asNRPError, etagOf, modelUrls } from "./shared.js";
import type { RecordContext } from "./shared.js";

/**
 * `client.records`: read, create and bulk-create records of the repository's models.
 *
 * @example
 * const rec = await client.records.get("datasets/abcde-12345", { includeFiles: true });
 * const draft = await client.records.get(["draft", "datasets", "abcde-12345"]);
 */
export class Records {
  readonly #ctx: RecordContext;
  /** Community UUIDs by the slug or id they were asked for, looked up once per client. */
  readonly #communities = new Map<string, Promise<string>>();

  /**
   * Built by {@link NRPInvenioClient}; use `client.records`.
   *
   * @internal
   */
  constructor(ctx: RecordContext) {
    this.#ctx = ctx;
  }

  /**
   * Reads a record by mid (`model/id`, `draft/model/id`, the array forms, or a bare id), or by a
   * URL of this repository (see {@link Records.getByUrl}). DOIs and other repositories' URLs
   * are `recordGetter`'s job.
   */
  async get<M extends object = Json>(
    id: RecordId,
    options: RecordReadOptions = {},
  ): Promise<NRPRecord<M>> {
    if (typeof id === "string" && /^https?:\/\//i.test(id.trim())) {
      return this.getByUrl<M>(id.trim(), options);
    }
    const repo = await this.#ctx.info.repository({ signal: options.signal });
    const mid = parseMid(id, repo.defaultModel);
    return this.getById<M>(mid.model, mid.id, { ...options, draft: mid.draft });
  }

  /** Reads a record of `model` by its id; `draft: true` reads its draft. */
  async getById<M extends object = Json>(
    model: string,
    id: string,
    options: GetByIdOptions = {},
  ): Promise<NRPRecord<M>> {
    const info = await this.#ctx.info.getModel(model, { signal: options.signal });
    const base = info.url.endsWith("/") ? info.url : `${info.url}/`;
    const url = `${base}${encodeURIComponent(id)}${options.draft ? "/draft" : ""}`;
    return readRecord<M>(this.#ctx, url, info.name, options);
  }

  /**
   * Reads a record by a URL of this repository: an API URL (`…/<id>`, `…/<id>/draft`), or a
   * landing page, which leads to the API through its signposting `Link: rel="linkset"` header or,
   * without one, through the model whose HTML prefix it matches.
   */
  async getByUrl<M extends object = Json>(
    url: string,
    options: RecordReadOptions = {},
  ): Promise<NRPRecord<M>> {
    const models = await this.#ctx.info.models({ signal: options.signal });
    const urls = modelUrls(models);
    const api = matchApiUrl(url, urls);
    if (api) return this.getById(api.model, api.id, { ...options, draft: api.draft });
    if (new URL(url).pathname.startsWith("/api/")) {
      return readRecord<M>(this.#ctx, url, undefined, options);
    }
    // Draft previews are not public pages (the server answers 404 or a login page), so a page
    // that cannot be read still resolves when its URL has a model's shape.
    let page: HttpResponse<string> | undefined;
    try {
      page = await this.#ctx.http.text({
        method: "GET",
        url,
        headers: { accept: "text/html" },
        signal: options.signal,
      });
    } catch (error) {
      if (!(error instanceof APIError) || matchHtmlUrl(url, urls) === undefined) throw error;
    }
    const linkset = page && linksetUrl(page.headers.link, page.url);
    if (linkset) return readRecord<M>(this.#ctx, linkset, undefined, options);
    const html = matchHtmlUrl(url, urls) ?? (page && matchHtmlUrl(page.url, urls));
    if (html) return this.getById(html.model, html.id, { ...options, draft: html.draft });
    throw new InvalidRecordIdError(
      `${url} is neither a record API URL nor a landing page that links to one (it has no Link rel="linkset" header and matches no model).`,
      url,
    );
  }

  /**
   * Searches records and returns one page: the same as `client.search`, here beside `get` and
   * `create`. For paging and scans, use `client.searchRequest`.
   *
   * @example
   * const page = await client.records.search("documents", { query: "trees", size: 10 });
   */
  search(
    models?: string | readonly string[],
    options: SearchOptions = {},
  ): Promise<NRPSearchResponse> {
    return this.#ctx.client.search(models, options);
  }

  /**
   * Creates a draft of `model` (`POST`, 201). Bare metadata is wrapped in `{metadata}` when the
   * model keeps data there; a body that already has `metadata` is sent as is. Never retried on a
   * server error: a create is not idempotent.
   *
   * The draft may come back with {@link NRPRecord.errors}: drafts are validated leniently.
   *
   * With `community` on InvenioRDM the draft also gets its community-submission review
   * (`PUT …/draft/review`); should that fail, the draft is deleted again and the error thrown.
   */
  async create<M extends object = Json>(
    model: string,
    data: Json | NoInfer<M> | { metadata: NoInfer<M> },
    options: CreateRecordOptions = {},
  ): Promise<NRPRecord<M>> {
    if (!isObject(data)) {
      throw new NRPError(
        `A record must be a JSON object, got ${Array.isArray(data) ? "an array" : typeof data}.`,
        { code: ErrorCodes.InvalidInput },
      );
    }
    const info = await this.#ctx.info.getModel(model, { signal: options.signal });
    const repo = await this.#ctx.info.repository({ signal: options.signal });
    const viaReview = options.community !== undefined && flavourOf(repo).community === "review";
    const communityId = viaReview
      ? await this.#communityId(options.community ?? "", options.signal)
      : undefined;
    const body = prepareCreateBody(data, {
      metadataModel: info.metadata,
      community: viaReview ? undefined : options.community,
      workflow: options.workflow,
      filesEnabled: options.filesEnabled,
    });
    const deposit = info.links.deposit ?? info.url;
    const res = await this.#ctx.http.postJSON(deposit, body, { signal: options.signal });
    if (!isObject(res.body)) {
      throw new NRPError(`${deposit} did not return a record (a JSON object).`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    const draft = new NRPRecord<M>(this.#ctx, res.body, etagOf(res), info.name);
    if (communityId !== undefined) await this.#addressReview(draft, communityId, options.signal);
    return draft;
  }

  /**
   * Gives a new InvenioRDM draft its community-submission review (`PUT …/draft/review`) and
   * reloads it, so that `parent.review` shows; when that fails the draft is deleted again, so a
   * failed create leaves nothing behind.
   */
  async #addressReview(
    draft: NRPRecord<object>,
    communityId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const self = draft.links.self ?? "";
    try {
      await this.#ctx.http.putJSON(
        draft.links.review ?? draftUrl(self, "review"),
        rdmReviewBody(communityId),
        {
          signal,
        },
      );
      await draft.refresh({ signal });
    } catch (error) {
      await draft.delete().catch(() => undefined);
      throw error;
    }
  }

  /** The UUID of a community given by slug or UUID (`GET /api/communities/<slug or id>`). */
  #communityId(wanted: string, signal: AbortSignal | undefined): Promise<string> {
    const key = wanted.trim();
    let found = this.#communities.get(key);
    if (found === undefined) {
      found = this.#lookUpCommunity(key, signal);
      this.#communities.set(key, found);
      // A failed lookup (unknown, or the network) is not remembered.
      found.catch(() => this.#communities.delete(key));
    }
    return found;
  }

  async #lookUpCommunity(wanted: string, signal: AbortSignal | undefined): Promise<string> {
    const repo = await this.#ctx.info.repository({ signal });
    const url = `${repo.apiUrl}/communities/${encodeURIComponent(wanted)}`;
    let body: unknown;
    try {
      body = (await this.#ctx.http.getJSON(url, { signal })).body;
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NRPError(`Unknown community "${wanted}": ${url} answered 404.`, {
          code: ErrorCodes.UnknownCommunity,
          cause: error,
        });
      }
      throw error;
    }
    const id = isObject(body) ? body.id : undefined;
    if (typeof id !== "string" || id === "") {
      throw new NRPError(`${url} did not return a community with an id.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return id;
  }

  /**
   * Creates many drafts of `model` with at most `concurrency` requests at once and returns one
   * result per item, in input order. A failing item never stops the others.
   *
   * Items are pulled from `items` only when a worker is free, so a large (async) iterable is never
   * held in memory. After an abort no further item is started; the results then cover the items
   * that were started, and those cut short carry an {@link APIUserAbortError}.
   */
  async createMany(
    model: string,
    items: Iterable<Json> | AsyncIterable<Json>,
    options: CreateManyOptions = {},
  ): Promise<CreateManyResult[]> {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new NRPError(
        `concurrency must be a positive integer, got ${String(options.concurrency)}.`,
        { code: ErrorCodes.InvalidInput },
      );
    }
    // Fail fast on an unknown model instead of once per item.
    await this.#ctx.info.getModel(model, { signal: options.signal });
    const create: CreateRecordOptions = {
      community: options.community,
      workflow: options.workflow,
      filesEnabled: options.filesEnabled,
      signal: options.signal,
    };
    const results = await runPool(items, (item) => this.create(model, item, create), {
      concurrency,
      signal: options.signal,
      onSettled: options.onProgress,
    });
    return results.map((r) =>
      r.ok
        ? { index: r.index, ok: true, record: r.value }
        : {
            index: r.index,
            ok: false,
            error:
              options.signal?.aborted && !(r.error instanceof NRPError)
                ? new APIUserAbortError("The request was aborted.", { cause: r.error })
                : asNRPError(r.error),
          },
    );
  }
}
