// Reading recorded exchanges with a real server (test/fixtures/invenio-rdm13/,
// test/fixtures/oarepo-nrp/) and comparing the devserver's answers with them: status, the headers a client acts on, and the
// body's shape (keys and value types, a few values that carry meaning, never ids or dates).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The body of a recorded answer. */
export type RecordedBody =
  { kind: "json"; value: unknown } | { kind: "bytes"; value: Buffer } | { kind: "none" };

/** One recorded request and the real server's answer. */
export interface Exchange {
  name: string;
  method: string;
  /** Path and query as sent, ids of the recording included. */
  path: string;
  /** Request headers that mattered (Content-Type, If-Match, Range, Accept), lower-case names. */
  requestHeaders: Record<string, string>;
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  body: RecordedBody;
}

/** Origin the recorded InvenioRDM ran at; links in its bodies carry it. */
export const RECORDED_ORIGIN = "http://127.0.0.1:15000";

/** Origin the recorded NRP (oarepo) repository ran at. */
export const RECORDED_NRP_ORIGIN = "http://127.0.0.1:5090";

function headerLine(line: string): [string, string] {
  const colon = line.indexOf(":");
  if (colon < 0) throw new Error(`not a header line: ${line}`);
  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
}

/** Reads every `NAME.http.txt` of `dir` with its body (`NAME.json`, `.body.txt`, `.body.html`). */
export function loadExchanges(dir: string): Map<string, Exchange> {
  const files = readdirSync(dir);
  const out = new Map<string, Exchange>();
  for (const file of files.filter((f) => f.endsWith(".http.txt")).sort()) {
    const name = file.slice(0, -".http.txt".length);
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    const request = lines.filter((l) => l.startsWith("> ")).map((l) => l.slice(2));
    const [first = "", ...requestHeaderLines] = request;
    const [method = "", path = ""] = first.split(" ");
    const statusAt = lines.findIndex((l) => l.startsWith("HTTP/"));
    const statusLine = lines[statusAt] ?? "";
    const status = Number(statusLine.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(statusAt + 1)) {
      if (line.trim() === "") continue;
      const [k, v] = headerLine(line);
      headers[k] = v;
    }
    let body: RecordedBody = { kind: "none" };
    if (files.includes(`${name}.json`)) {
      body = { kind: "json", value: JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) };
    } else {
      const raw = files.find((f) => f.startsWith(`${name}.body.`));
      if (raw !== undefined) body = { kind: "bytes", value: readFileSync(join(dir, raw)) };
    }
    out.set(name, {
      name,
      method,
      path,
      // `(no token)` marks an anonymous call in the NRP recording.
      requestHeaders: Object.fromEntries(
        requestHeaderLines.filter((l) => l !== "(no token)").map(headerLine),
      ),
      status,
      headers,
      body,
    });
  }
  return out;
}

const PID = /^[0-9a-z]{5}-[0-9a-z]{5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Ids of the recording mapped to the ids this run created, learned from the answers as the
 * journey goes; `apply` turns a recorded path, link or message into what this run should see.
 */
export class IdMap {
  private readonly map = new Map<string, string>();

  constructor(
    private readonly ourOrigin: string,
    /** The origin of the recorded server, whose links are this run's with ours. */
    readonly recordedOrigin: string = RECORDED_ORIGIN,
  ) {}

  /** Maps one recorded id to ours (the first mapping of an id wins). */
  set(recorded: string, ours: string): void {
    if (!this.map.has(recorded)) this.map.set(recorded, ours);
  }

  /** The id of this run for a recorded one. */
  get(recorded: string): string {
    const ours = this.map.get(recorded);
    if (ours === undefined) throw new Error(`no id of this run for ${recorded} yet`);
    return ours;
  }

  /**
   * Walks a recorded body and ours side by side through objects (not arrays, whose order may
   * differ) and maps every recorded record id or UUID to the string at the same place in ours.
   */
  learn(recorded: unknown, ours: unknown): void {
    if (!isObject(recorded) || !isObject(ours)) return;
    for (const [key, value] of Object.entries(recorded)) {
      const mine = ours[key];
      if (typeof value === "string" && typeof mine === "string") {
        if (PID.test(value) || UUID.test(value)) this.set(value, mine);
      } else {
        this.learn(value, mine);
      }
    }
  }

  /** A recorded string with the recorded origin and every known id replaced by this run's. */
  apply(text: string): string {
    let out = text.split(this.recordedOrigin).join(this.ourOrigin);
    for (const [recorded, ours] of this.map) out = out.split(recorded).join(ours);
    return out;
  }

  /**
   * Whether `ours` is the recorded link in this run: the origin and known ids substituted, an id
   * this run has no counterpart for (a search hit of the recording's own) matching any id, and
   * percent-encoding ignored (`q=a%3Ab` and `q=a:b` are one query). With `anyIds` (inside lists,
   * whose elements need not be the same records) every id matches any id.
   */
  linkMatches(recorded: string, ours: string, anyIds = false): boolean {
    const expected = decoded(recorded.split(this.recordedOrigin).join(this.ourOrigin));
    const ids = new RegExp(ID_SOURCE, "g");
    let pattern = "";
    let last = 0;
    for (const match of expected.matchAll(ids)) {
      pattern += escapeRegExp(expected.slice(last, match.index));
      const mine = anyIds ? undefined : this.map.get(match[0]);
      pattern += mine === undefined ? `(?:${ID_SOURCE})` : escapeRegExp(mine);
      last = match.index + match[0].length;
    }
    pattern += escapeRegExp(expected.slice(last));
    return new RegExp(`^${pattern}$`).test(decoded(ours));
  }
}

const ID_SOURCE =
  "[0-9a-z]{5}-[0-9a-z]{5}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** One way the devserver's answer differs from the recording. */
export interface Difference {
  /** `status`, `header <name>` or `body <json path>`. */
  where: string;
  detail: string;
}

/**
 * Keys whose values are compared, not only their types: they carry the protocol's meaning
 * (messages, validation errors, states, transfer types, default sorts).
 */
const EXACT_KEYS = new Set(["message", "errors", "status", "type", "sortBy", "key"]);

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** What a recorded value becomes in this run: ids and the origin replaced, recursively. */
function substitute(value: unknown, ids: IdMap): unknown {
  if (typeof value === "string") return ids.apply(value);
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  }
  return value;
}

/**
 * The shape of `ours` against `recorded`: the same keys at every level (missing and extra keys
 * are both differences), the same JSON types, booleans equal, the values of {@link EXACT_KEYS}
 * and of links to the server (with ids substituted, see {@link IdMap.linkMatches}) equal. Ids,
 * dates, counts and other strings and numbers are not compared. Arrays: empty in both is fine,
 * empty in only one is a difference, and every element of ours must have the shape of one
 * recorded element (the closest is reported). `entries` keyed by file name are compared as the
 * list of their values.
 */
export function compareShape(
  recorded: unknown,
  ours: unknown,
  ids: IdMap,
  path = "$",
  key = "",
  inList = false,
): Difference[] {
  const where = `body ${path}`;
  if (EXACT_KEYS.has(key) && (typeof recorded !== "object" || key === "errors")) {
    const expected = substitute(recorded, ids);
    return JSON.stringify(expected) === JSON.stringify(ours)
      ? []
      : [{ where, detail: `expected ${show(expected)}, got ${show(ours)}` }];
  }
  const rt = typeName(recorded);
  const ot = typeName(ours);
  if (rt !== ot) {
    return [{ where, detail: `type ${ot} (${show(ours)}), recorded ${rt} (${show(recorded)})` }];
  }
  if (typeof recorded === "boolean" && recorded !== ours) {
    return [{ where, detail: `expected ${String(recorded)}, got ${String(ours)}` }];
  }
  if (typeof recorded === "string" && recorded.startsWith(`${ids.recordedOrigin}/`)) {
    return ids.linkMatches(recorded, ours as string, inList)
      ? []
      : [{ where, detail: `link ${show(ours)}, expected ${ids.apply(recorded)}` }];
  }
  // File entries are keyed by file name: what counts is the shape of each entry.
  if (key === "entries" && isObject(recorded) && isObject(ours)) {
    return compareShape(Object.values(recorded), Object.values(ours), ids, path, key, inList);
  }
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    if (recorded.length === 0 && ours.length === 0) return [];
    if (recorded.length === 0 || ours.length === 0) {
      return [
        {
          where,
          detail: `${ours.length} elements, recorded ${recorded.length} (empty in only one)`,
        },
      ];
    }
    const out: Difference[] = [];
    ours.forEach((element, i) => {
      let best: Difference[] | undefined;
      for (const candidate of recorded) {
        // The elements of a list of file entries are entries themselves, not keyed by name.
        const elementKey = key === "entries" ? "" : key;
        const diffs = compareShape(candidate, element, ids, `${path}[${i}]`, elementKey, true);
        if (best === undefined || diffs.length < best.length) best = diffs;
        if (diffs.length === 0) break;
      }
      out.push(...(best ?? []));
    });
    return out;
  }
  if (isObject(recorded) && isObject(ours)) {
    const out: Difference[] = [];
    for (const k of Object.keys(recorded)) {
      const p = `${path}.${k}`;
      if (!(k in ours)) out.push({ where: `body ${p}`, detail: "missing" });
      else out.push(...compareShape(recorded[k], ours[k], ids, p, k, inList));
    }
    for (const k of Object.keys(ours)) {
      if (!(k in recorded)) out.push({ where: `body ${path}.${k}`, detail: "extra key" });
    }
    return out;
  }
  return [];
}

/** `md5:<hex>` of bytes. */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

function normalise(value: string): string {
  return value.toLowerCase().replace(/\s+/g, "");
}

/** An answer of the devserver, as the replay received it. */
export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: unknown;
}

/**
 * Status, the headers that matter and the body of `ours` against the recording:
 * `Content-Type` (normalised), `ETag` (its form: a quoted integer or a quoted `md5:` of the
 * bytes served), `Content-MD5` (hex md5 of the bytes), `Location` and `Link` (with ids
 * substituted), `Content-Disposition`, and `Accept-Ranges` / `Content-Range` present exactly
 * when recorded; JSON bodies by {@link compareShape}, other bodies byte for byte.
 */
export function compareExchange(recorded: Exchange, ours: Answer, ids: IdMap): Difference[] {
  const out: Difference[] = [];
  if (recorded.status !== ours.status) {
    out.push({
      where: "status",
      detail: `${String(ours.status)}, recorded ${String(recorded.status)} (${show(ours.json ?? ours.bytes.toString("utf8").slice(0, 200))})`,
    });
  }
  const header = (name: string): string | undefined => ours.headers.get(name) ?? undefined;
  const presence = (name: string): void => {
    const r = recorded.headers[name];
    const o = header(name);
    if ((r === undefined) !== (o === undefined)) {
      out.push({
        where: `header ${name}`,
        detail: r === undefined ? `sent ${o ?? ""}, recorded absent` : `absent, recorded ${r}`,
      });
    }
  };
  const exact = (name: string, expected: string | undefined): void => {
    const o = header(name);
    if (expected === undefined || o === undefined) {
      presence(name);
      return;
    }
    if (normalise(o) !== normalise(expected)) {
      out.push({ where: `header ${name}`, detail: `${o}, expected ${expected}` });
    }
  };
  exact("content-type", recorded.headers["content-type"]);
  const etag = recorded.headers.etag;
  const ourEtag = header("etag");
  if (etag === undefined || ourEtag === undefined) presence("etag");
  else if (/^"\d+"$/.test(etag) && !/^"\d+"$/.test(ourEtag)) {
    out.push({ where: "header etag", detail: `${ourEtag}, recorded the form "<revision>"` });
  } else if (/^"md5:/.test(etag) && ourEtag !== `"md5:${md5Hex(ours.bytes)}"`) {
    out.push({ where: "header etag", detail: `${ourEtag}, expected "md5:" and the bytes' md5` });
  }
  const md5 = recorded.headers["content-md5"];
  if (md5 === undefined) presence("content-md5");
  else exact("content-md5", md5Hex(ours.bytes));
  const location = recorded.headers.location;
  exact("location", location === undefined ? undefined : ids.apply(location));
  const link = recorded.headers.link;
  exact("link", link === undefined ? undefined : ids.apply(link));
  exact("content-disposition", recorded.headers["content-disposition"]);
  presence("accept-ranges");
  presence("content-range");

  const body = recorded.body;
  if (body.kind === "json") {
    if (ours.json === undefined) {
      out.push({ where: "body", detail: `not JSON: ${show(ours.bytes.toString("utf8"))}` });
    } else {
      out.push(...compareShape(body.value, ours.json, ids));
    }
  } else if (body.kind === "bytes") {
    if (!body.value.equals(ours.bytes)) {
      out.push({ where: "body", detail: `bytes differ: ${show(ours.bytes.toString("utf8"))}` });
    }
  } else if (ours.bytes.length > 0) {
    out.push({ where: "body", detail: `${String(ours.bytes.length)} bytes, recorded none` });
  }
  return out;
}

/**
 * A difference a devserver flavour keeps on purpose: in `exchanges` (or every one, `*`), at the
 * places `where` names (`*` matches anything there, e.g. `body $.hits.hits[*].pids.doi`).
 */
export interface Deliberate {
  exchanges: readonly string[] | "*";
  where: readonly string[];
  reason: string;
}

function glob(pattern: string): RegExp {
  const parts = pattern.split("*").map(escapeRegExp);
  return new RegExp(`^${parts.join(".*")}$`);
}

/** Validation errors, wherever they appear, are a list of `{field, messages: string[]}`. */
export function errorsShape(json: unknown): Difference[] {
  if (!isObject(json) || !("errors" in json)) return [];
  const { errors } = json;
  const ok =
    Array.isArray(errors) &&
    errors.every(
      (e: unknown) =>
        isObject(e) &&
        typeof e.field === "string" &&
        Array.isArray(e.messages) &&
        e.messages.every((m) => typeof m === "string"),
    );
  return ok ? [] : [{ where: "body $.errors", detail: `not a list of {field, messages}` }];
}

/**
 * Sends a recorded request to `url` (the recorded path with this run's ids) with the request
 * headers the recording names, `Accept: application/json` unless it names another, and reads
 * the answer without following redirects.
 */
export async function replayRequest(
  url: string,
  recorded: Exchange,
  options: {
    token?: string | undefined;
    json?: unknown;
    bytes?: Buffer;
    /** Headers of this run that replace the recorded ones (e.g. `If-Match`). */
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers = new Headers({ Accept: "application/json" });
  for (const [name, value] of Object.entries(recorded.requestHeaders)) headers.append(name, value);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  if (options.token !== undefined) headers.set("Authorization", `Bearer ${options.token}`);
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers.set("Content-Type", "application/json");
  } else if (options.bytes !== undefined) {
    body = options.bytes;
    if (!headers.has("content-type")) headers.set("Content-Type", "application/octet-stream");
  }
  const res = await fetch(url, {
    method: recorded.method,
    headers,
    redirect: "manual",
    ...(body === undefined ? {} : { body }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown = undefined;
  if ((res.headers.get("content-type") ?? "").includes("json") && bytes.length > 0) {
    json = JSON.parse(bytes.toString("utf8"));
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

/**
 * Judges replayed answers against one table of deliberate differences: what no entry excuses is
 * reported, and the entries that excused something are remembered so that a stale entry (one
 * that no longer occurs) fails too.
 */
export class Judge {
  private readonly used = new Set<Deliberate>();
  private readonly ran = new Set<string>();

  constructor(private readonly table: readonly Deliberate[]) {}

  private excused(exchange: string, difference: Difference): Deliberate | undefined {
    return this.table.find(
      (d) =>
        (d.exchanges === "*" || d.exchanges.includes(exchange)) &&
        d.where.some((w) => glob(w).test(difference.where)),
    );
  }

  /**
   * The differences of `answer` from `recorded` that the table does not excuse, as
   * `where: detail` lines, malformed validation errors included; with `exactEtag`, the ETag's
   * value counts too.
   */
  judge(recorded: Exchange, answer: Answer, ids: IdMap, exactEtag = false): string[] {
    const differences = compareExchange(recorded, answer, ids);
    if (
      exactEtag &&
      answer.headers.get("etag") !== recorded.headers.etag &&
      !differences.some((d) => d.where === "header etag")
    ) {
      differences.push({
        where: "header etag",
        detail: `${answer.headers.get("etag") ?? "absent"}, recorded ${recorded.headers.etag ?? "absent"}`,
      });
    }
    const unexpected = differences.filter((d) => {
      const deliberate = this.excused(recorded.name, d);
      if (deliberate !== undefined) this.used.add(deliberate);
      return deliberate === undefined;
    });
    this.ran.add(recorded.name);
    return [...unexpected, ...errorsShape(answer.json)].map((d) => `${d.where}: ${d.detail}`);
  }

  /** Table entries for exchanges that ran which excused nothing: the table has gone stale. */
  stale(): string[] {
    return this.table
      .filter(
        (d) =>
          (d.exchanges === "*" || d.exchanges.some((e) => this.ran.has(e))) && !this.used.has(d),
      )
      .map((d) => `${d.exchanges === "*" ? "*" : d.exchanges.join(", ")}: ${d.where.join(", ")}`);
  }
}
