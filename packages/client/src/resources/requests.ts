// The request types a record offers (`links["applicable-requests"]`, protocol §6.2) and the
// requests made on it (`links.requests`, §6.6). Read-only for now: the requests capability adds
// creating, submitting and accepting requests to these classes.

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `hits.hits` of a search-shaped response, or the response itself when it is a bare list. */
export function hitsOf(body: unknown): Json[] {
  if (Array.isArray(body)) return body.filter(isObject);
  if (!isObject(body)) return [];
  const hits = isObject(body.hits) ? body.hits.hits : undefined;
  return Array.isArray(hits) ? hits.filter(isObject) : [];
}

/**
 * One request type applicable to a record, e.g. `publish_draft` or `edit_published_record`.
 *
 * {@link NRPRecordRequestType.canCreate} says whether the caller may open one.
 */
export class NRPRecordRequestType {
  readonly #data: Json;

  /** Wraps one applicable-requests hit; use {@link NRPRecordRequests} rather than calling this. */
  constructor(data: Json) {
    this.#data = data;
  }

  /** The request type, e.g. `publish_draft`. */
  get typeId(): string {
    return typeof this.#data.type_id === "string" ? this.#data.type_id : "";
  }
  /** The type's links; `actions.create` is where a request of this type is created. */
  get links(): Json {
    return isObject(this.#data.links) ? this.#data.links : {};
  }
  /** Whether the caller may create a request of this type (it has a `links.actions.create`). */
  get canCreate(): boolean {
    const actions = this.links.actions;
    return isObject(actions) && typeof actions.create === "string";
  }
  /** A deep copy of the type's JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPRecordRequestType.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/**
 * The request types applicable to a record, plus the raw list of requests already made on it.
 *
 * An `Iterable` of {@link NRPRecordRequestType}; both lists arrived with the record.
 */
export class NRPRecordRequests implements Iterable<NRPRecordRequestType> {
  readonly #types: NRPRecordRequestType[];
  readonly #requests: Json[];

  /** Wraps the two lists; records build this for `includeRequests`. */
  constructor(types: readonly Json[], requests: readonly Json[]) {
    this.#types = types.map((t) => new NRPRecordRequestType(t));
    this.#requests = [...requests];
  }

  /** The requests made on the record, as the server lists them. */
  get requests(): Json[] {
    return this.#requests;
  }
  /** How many request types apply. */
  get length(): number {
    return this.#types.length;
  }
  /** The applicable type with this id, if any. */
  get(typeId: string): NRPRecordRequestType | undefined {
    return this.#types.find((t) => t.typeId === typeId);
  }
  /** Iterates over the applicable request types. */
  [Symbol.iterator](): Iterator<NRPRecordRequestType> {
    return this.#types[Symbol.iterator]();
  }
  /** `{ request_types, requests }` as plain JSON. */
  toDict(): Json {
    return {
      request_types: this.#types.map((t) => t.toDict()),
      requests: structuredClone(this.#requests),
    };
  }
  /** Same as {@link NRPRecordRequests.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}
