// One page of a search answer (`{hits: {hits, total}, links}`), the shape both record searches and
// request searches share: its items, the total across pages and the links to other pages.

import type { Json } from "../core/json.js";
import { isObject } from "../internal/json.js";

/** The hits of a search answer (`hits.hits`), or the items of a bare JSON array. */
export function hitsOf(body: unknown): Json[] {
  if (Array.isArray(body)) return body.filter(isObject);
  if (!isObject(body)) return [];
  const hits = isObject(body.hits) ? body.hits.hits : undefined;
  return Array.isArray(hits) ? hits.filter(isObject) : [];
}

/**
 * How many hits match across all pages: `hits.total` as a number or OpenSearch's `{value}`, else
 * the number of hits on this page.
 */
export function totalOf(body: Json, onPage = hitsOf(body).length): number {
  const hits = body.hits;
  const total = isObject(hits) ? hits.total : undefined;
  if (typeof total === "number") return total;
  if (isObject(total) && typeof total.value === "number") return total.value;
  return onPage;
}

/**
 * One page of search results: an `Iterable` of its items, with the total across all pages and the
 * links the server sent. Record searches ({@link NRPSearchResponse}) and request searches
 * ({@link RequestsPage}) are both pages.
 */
export class Page<T> implements Iterable<T> {
  readonly #body: Json;
  readonly #items: readonly T[];

  /**
   * Wraps a search answer and the items made of its hits; use a search call instead.
   *
   * @internal
   */
  constructor(body: Json, items: readonly T[]) {
    this.#body = body;
    this.#items = items;
  }

  /** The items on this page. */
  get items(): readonly T[] {
    return this.#items;
  }
  /** How many items are on this page. */
  get length(): number {
    return this.#items.length;
  }
  /** How many items match across all pages (`hits.total`). */
  get total(): number {
    return totalOf(this.#body, this.#items.length);
  }
  /** The answer's links: `self`, and `next`/`prev` when there are such pages. */
  get links(): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    if (isObject(this.#body.links)) {
      for (const [k, v] of Object.entries(this.#body.links)) if (typeof v === "string") out[k] = v;
    }
    return out;
  }
  /** The next page's URL, when there is one. */
  get nextUrl(): string | undefined {
    return this.links.next;
  }
  /** Iterates over the items on this page. */
  [Symbol.iterator](): Iterator<T> {
    return this.#items[Symbol.iterator]();
  }
  /** The raw search answer. */
  toDict(): Json {
    return structuredClone(this.#body);
  }
  /** Same as {@link Page.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}
