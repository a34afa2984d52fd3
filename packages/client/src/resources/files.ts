// A record's files as listed by `GET links.files` (protocol §4.2, §4.3). Read-only for now: the
// files capability adds upload, download, metadata updates and deletion to these classes.

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringLinks(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * One file of a record: its key, metadata, technical fields and links.
 *
 * Getters are camelCase views over the server's JSON; {@link NRPFile.toDict} returns that JSON.
 */
export class NRPFile {
  readonly #data: Json;

  /** Wraps one entry of a file list; use {@link NRPRecordFiles} rather than calling this. */
  constructor(data: Json) {
    this.#data = data;
  }

  /** The file name within the record. */
  get key(): string {
    return typeof this.#data.key === "string" ? this.#data.key : "";
  }
  /** The user metadata of the file (`metadata`), empty when the server sent none. */
  get metadata(): Json {
    return isObject(this.#data.metadata) ? this.#data.metadata : {};
  }
  /** The whole entry as the server sent it. */
  get data(): Json {
    return this.#data;
  }
  /** The file's links (`self`, `content`, `commit`, …). */
  get links(): Readonly<Record<string, string>> {
    return stringLinks(this.#data.links);
  }
  /** `pending` until the upload is committed, then `completed`. */
  get status(): string | undefined {
    return typeof this.#data.status === "string" ? this.#data.status : undefined;
  }
  /** Size in bytes, once known. */
  get size(): number | undefined {
    return typeof this.#data.size === "number" ? this.#data.size : undefined;
  }
  /** The server's checksum, e.g. `md5:…`, once the upload is committed. */
  get checksum(): string | undefined {
    return typeof this.#data.checksum === "string" ? this.#data.checksum : undefined;
  }
  /** A deep copy of the entry's JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPFile.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/**
 * The files of one record, as listed by `GET links.files`.
 *
 * An `Iterable` of {@link NRPFile} because the whole list arrives in one response.
 */
export class NRPRecordFiles implements Iterable<NRPFile> {
  readonly #data: Json;
  readonly #files: NRPFile[];

  /** Wraps a file list response; records build this for `includeFiles`. */
  constructor(data: Json) {
    this.#data = data;
    const entries = Array.isArray(data.entries) ? (data.entries as unknown[]) : [];
    this.#files = entries.filter(isObject).map((entry) => new NRPFile(entry));
  }

  /** Whether the record accepts files (`enabled`); a metadata-only record says false. */
  get enabled(): boolean {
    return this.#data.enabled !== false;
  }
  /** The list's links (`self`, …). */
  get links(): Readonly<Record<string, string>> {
    return stringLinks(this.#data.links);
  }
  /** How many files the list holds. */
  get length(): number {
    return this.#files.length;
  }
  /** The file with this key, if any. */
  get(key: string): NRPFile | undefined {
    return this.#files.find((f) => f.key === key);
  }
  /** Iterates over the files in the server's order. */
  [Symbol.iterator](): Iterator<NRPFile> {
    return this.#files[Symbol.iterator]();
  }
  /** A deep copy of the list's JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPRecordFiles.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}
