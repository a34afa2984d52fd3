import type { Json, NRPInvenioClient } from "nrp-invenio-client";

import { loadClient } from "./client-module.js";
import type { CommandContext } from "./context.js";
import { CliError, ExitCode, UsageError } from "./errors.js";
import { requestIdOf, requestsApi } from "./request-api.js";
import type { RequestHandle } from "./request-api.js";
import { isPlainObject } from "./variables.js";

/** The most visible requests read to find one by number or id prefix. */
const MAX_SCANNED = 2000;

/** A full request UUID. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How a value names a request: its number (`12`, `#12`, as the listing's `number` column shows),
 * the start of its UUID (4 or more hex digits, as git shortens hashes), or anything else (a
 * full id or URL, {@link requestIdOf}'s business).
 */
export function shortReference(
  value: string,
): { kind: "number"; number: string } | { kind: "prefix"; prefix: string } | undefined {
  const v = value.trim();
  const number = /^#?(\d+)$/.exec(v);
  if (number?.[1] !== undefined) return { kind: "number", number: number[1] };
  if (!UUID.test(v) && /^[0-9a-f][0-9a-f-]{3,34}$/i.test(v) && /\d/.test(v)) {
    return { kind: "prefix", prefix: v.toLowerCase() };
  }
  return undefined;
}

/**
 * Turns request references (full ids, URLs, numbers, unique id prefixes) into request ids; the
 * visible requests are read once, and only when a number or prefix needs them.
 */
export class RequestFinder {
  readonly #ctx: CommandContext;
  #visible: Promise<RequestHandle[]> | undefined;

  constructor(ctx: CommandContext) {
    this.#ctx = ctx;
  }

  /** The request id `value` names; a usage or not-found error naming the candidates otherwise. */
  async idOf(value: string): Promise<string> {
    const short = shortReference(value);
    if (short === undefined) return requestIdOf(value);
    const all = await this.#all();
    if (short.kind === "number") {
      const found = all.find((r) => String(r.data["number"]) === short.number);
      if (found !== undefined) return found.id;
      // A number that is not a request's may still be an id the server knows.
      throw new CliError(`No request you can see has the number ${short.number}.`, {
        exitCode: ExitCode.notFound,
        code: "not_found",
        hint: 'The numbers are in the "number" column of "nrp list requests --inbox" or --mine.',
      });
    }
    const matches = all.filter((r) => r.id.toLowerCase().startsWith(short.prefix));
    const [only, second] = matches;
    if (only !== undefined && second === undefined) return only.id;
    if (only === undefined) {
      // Not a prefix of a visible request: perhaps a whole id of another form.
      return requestIdOf(value);
    }
    throw new UsageError(
      `"${value}" starts ${String(matches.length)} request ids: ` +
        `${matches
          .slice(0, 5)
          .map((r) => r.id)
          .join(", ")}${matches.length > 5 ? ", …" : ""}.`,
      "Give more of the id, or the request's number.",
    );
  }

  #all(): Promise<RequestHandle[]> {
    this.#visible ??= (async () => {
      const api = requestsApi(await this.#ctx.client());
      const out: RequestHandle[] = [];
      const first = await api.search({ size: 100, signal: this.#ctx.signal });
      for await (const request of first) {
        out.push(request);
        if (out.length >= MAX_SCANNED) break;
      }
      return out;
    })();
    return this.#visible;
  }
}

/** What the inbox shows of a request's record: its title and its community's slug. */
export interface TopicSummary {
  /** The record's `metadata.title`, when it can be read. */
  title: string | undefined;
  /** The slug of the community the request goes to, or the record's community. */
  community: string | undefined;
}

function communityIdOf(receiver: unknown, parent: unknown): string | undefined {
  if (isPlainObject(receiver)) {
    const community = receiver["community"];
    if (typeof community === "string") return community;
    const role = receiver["community_role"];
    if (typeof role === "string" && role.includes(":")) return role.slice(0, role.lastIndexOf(":"));
  }
  const communities = isPlainObject(parent) ? parent["communities"] : undefined;
  if (!isPlainObject(communities)) return undefined;
  const def = communities["default"];
  if (typeof def === "string" && def !== "") return def;
  const ids = communities["ids"];
  return Array.isArray(ids) && typeof ids[0] === "string" ? ids[0] : undefined;
}

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Reads the record (title) and community (slug) of each request, a few at a time; what cannot be
 * read (a deleted record, a community the caller may not see) stays undefined.
 *
 * A curator decides by what a request is about; an id alone says nothing.
 */
export async function summarizeTopics(
  ctx: CommandContext,
  client: NRPInvenioClient,
  requests: readonly Json[],
): Promise<Map<string, TopicSummary>> {
  const lib = await loadClient();
  const records = new Map<string, Json | undefined>();
  const slugs = new Map<string, string | undefined>();
  const topicUrl = (r: Json): string | undefined => {
    const links = isPlainObject(r["links"]) ? r["links"] : {};
    const topic = links["topic"];
    const url = isPlainObject(topic) ? topic["self"] : topic;
    return typeof url === "string" ? url : undefined;
  };
  const soft = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (err instanceof lib.APIError) return undefined;
      throw err;
    }
  };
  // InvenioRDM's requests link no topic: `{"record": "<id>"}` names the record (or, under
  // review, its draft) of the default model.
  const topicKey = (r: Json): string | undefined => {
    const url = topicUrl(r);
    if (url !== undefined) return url;
    const topic = r["topic"];
    const id = isPlainObject(topic) ? topic["record"] : undefined;
    return typeof id === "string" ? `record:${id}` : undefined;
  };
  const read = async (key: string): Promise<Json | undefined> => {
    if (!key.startsWith("record:")) {
      return (await soft(() => client.records.getByUrl(key, { signal: ctx.signal })))?.data;
    }
    const id = key.slice("record:".length);
    const published = await soft(() => client.records.get(id, { signal: ctx.signal }));
    if (published !== undefined) return published.data;
    return (await soft(() => client.records.get(`draft/${id}`, { signal: ctx.signal })))?.data;
  };
  const keys = [...new Set(requests.map(topicKey).filter((u) => u !== undefined))];
  await eachLimited(keys, 4, async (key) => {
    records.set(key, await read(key));
  });
  const communityOf = (r: Json): string | undefined => {
    const url = topicKey(r);
    const record = url === undefined ? undefined : records.get(url);
    return communityIdOf(r["receiver"], record?.["parent"]);
  };
  const ids = [...new Set(requests.map(communityOf).filter((c) => c !== undefined))];
  await eachLimited(ids, 4, async (id) => {
    const community = await soft(() => client.info.community(id, { signal: ctx.signal }));
    const slug = community?.["slug"];
    slugs.set(id, typeof slug === "string" ? slug : undefined);
  });
  const out = new Map<string, TopicSummary>();
  for (const r of requests) {
    const url = topicKey(r);
    const record = url === undefined ? undefined : records.get(url);
    const metadata = record?.["metadata"];
    const title = isPlainObject(metadata) ? metadata["title"] : undefined;
    const community = communityOf(r);
    out.set(String(r["id"]), {
      title: typeof title === "string" ? title : undefined,
      community: community === undefined ? undefined : (slugs.get(community) ?? community),
    });
  }
  return out;
}
