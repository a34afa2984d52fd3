import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { defaultMessage, errorBody, type FieldError } from "./http/errors.js";

/**
 * A programmed misbehaviour for matching requests, so client tests can drive retries, timeouts and
 * resumption deterministically. A rule acts on `times` matching requests, then disappears.
 */
export interface FaultRule {
  /** Request method to match, or `*` for any. @default "*" */
  method?: string;
  /**
   * Glob on the URL path as sent (percent-encoded, query excluded): `*` matches within one
   * segment, `**` matches anything, `?` one character. Give this or `pathRegex`.
   * @example "/api/datasets/*\/draft/files/**"
   */
  path?: string;
  /** A regular expression source matched against the URL path, instead of `path`. */
  pathRegex?: string;
  /** How many matching requests the rule affects. @default 1 */
  times?: number;
  /** Answer with this status instead of handling the request (Invenio's JSON error body unless `body` is given). */
  status?: number;
  /** Extra response headers for `status`, e.g. `{"Retry-After": "1"}` or `{Location: "…"}`. */
  headers?: Record<string, string>;
  /** Body for `status`: a string is sent as is, anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering (then handle normally unless `status` is given). */
  delayMs?: number;
  /**
   * Hold the matching request until `release(id)` lets it go (then handle it normally unless
   * `status` is given): a test orders concurrent requests by the event itself, not by a delay
   * that a loaded machine may outlast. `held(id)` tells when the request has arrived.
   */
  hold?: boolean;
  /**
   * Send the response's headers and first K body bytes, then destroy the socket (a body of K bytes
   * or fewer completes normally). With K = 0 and no `status`, the socket is destroyed before any
   * response, so the client sees a reset.
   */
  dropAfterBytes?: number;
  /**
   * Let the handler read the first K bytes of the request body, then destroy the socket: an
   * upload cut mid-body (a body of K bytes or fewer arrives whole). With K = 0 the socket is
   * destroyed before any of the body is read.
   */
  dropAfterRequestBytes?: number;
  /**
   * Read the request body at most this many bytes per second: a slow uplink, so a client's upload
   * progress can be watched moving while one request is sent.
   */
  requestBytesPerSecond?: number;
  /**
   * Flip the bits of the response body's byte at this offset (headers untouched): a download
   * that arrives whole but corrupted, so checksum verification can be tested.
   */
  corruptByteAt?: number;
}

/** A rule as `FaultController.list()` reports it. */
export type ActiveFaultRule = FaultRule & {
  id: string;
  /** Matching requests the rule will still affect. */
  remaining: number;
  /** Matching requests it has affected so far. */
  hits: number;
};

/** Programs faults at runtime; the same operations are served over HTTP under `/_devserver/faults`. */
export interface FaultController {
  /** Adds a rule and returns its id; rules are tried in the order they were added. */
  add(rule: FaultRule): string;
  /** Removes a rule (no-op for an unknown id). */
  remove(id: string): void;
  /** Removes every rule. */
  clear(): void;
  /** The rules still active. */
  list(): ActiveFaultRule[];
  /** How many requests the `hold` rule `id` is holding now (also after it is used up). */
  held(id: string): number;
  /**
   * Lets go of the requests the `hold` rule `id` holds, and of any it would hold later; removing
   * the rule or clearing all rules releases them too.
   */
  release(id: string): void;
}

/** A fault rule that failed validation, with Invenio-style field messages. */
export class FaultRuleError extends TypeError {
  /** Which fields are wrong and why. */
  readonly errors: FieldError[];

  constructor(errors: FieldError[]) {
    super(
      `Invalid fault rule: ${errors.map((e) => `${e.field}: ${e.messages.join(" ")}`).join("; ")}`,
    );
    this.name = "FaultRuleError";
    this.errors = errors;
  }
}

const RULE_KEYS: readonly (keyof FaultRule)[] = [
  "method",
  "path",
  "pathRegex",
  "times",
  "status",
  "headers",
  "body",
  "delayMs",
  "hold",
  "dropAfterBytes",
  "dropAfterRequestBytes",
  "requestBytesPerSecond",
  "corruptByteAt",
];

/**
 * Compiles a path glob: `**` matches anything (slashes included), `*` anything within a segment,
 * `?` one non-slash character; the whole path must match.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === "*" && glob.charAt(i + 1) === "*") {
      source += ".*";
      i++;
    } else if (c === "*") {
      source += "[^/]*";
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * Checks an untrusted fault rule (e.g. a POST body) and returns a clean copy.
 * @throws FaultRuleError listing every problem
 */
export function parseFaultRule(input: unknown): FaultRule {
  const errors: FieldError[] = [];
  const problem = (field: string, message: string): void => {
    errors.push({ field, messages: [message] });
  };
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new FaultRuleError([{ field: "_schema", messages: ["Invalid input type."] }]);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) problem(key, "Unknown field.");
  }
  const rule: FaultRule = {};
  if (raw.method !== undefined) {
    if (typeof raw.method !== "string" || !/^(\*|[A-Za-z]+)$/.test(raw.method)) {
      problem("method", "Must be an HTTP method or '*'.");
    } else rule.method = raw.method.toUpperCase();
  }
  if (raw.path !== undefined) {
    if (typeof raw.path !== "string" || raw.path === "") problem("path", "Must be a path glob.");
    else rule.path = raw.path;
  }
  if (raw.pathRegex !== undefined) {
    if (typeof raw.pathRegex !== "string") problem("pathRegex", "Must be a string.");
    else {
      try {
        new RegExp(raw.pathRegex);
        rule.pathRegex = raw.pathRegex;
      } catch {
        problem("pathRegex", "Not a valid regular expression.");
      }
    }
  }
  if ((rule.path === undefined) === (rule.pathRegex === undefined) && errors.length === 0) {
    problem("path", "Give exactly one of 'path' and 'pathRegex'.");
  }
  if (raw.times !== undefined) {
    if (!isNonNegativeInteger(raw.times) || raw.times < 1)
      problem("times", "Must be an integer >= 1.");
    else rule.times = raw.times;
  }
  if (raw.status !== undefined) {
    if (!isNonNegativeInteger(raw.status) || raw.status < 200 || raw.status > 599) {
      problem("status", "Must be an HTTP status between 200 and 599.");
    } else rule.status = raw.status;
  }
  if (raw.headers !== undefined) {
    const headers = raw.headers;
    if (
      typeof headers !== "object" ||
      headers === null ||
      Array.isArray(headers) ||
      !Object.values(headers).every((v) => typeof v === "string")
    ) {
      problem("headers", "Must be an object of header names to string values.");
    } else rule.headers = { ...(headers as Record<string, string>) };
  }
  if (raw.body !== undefined) rule.body = raw.body;
  if (raw.delayMs !== undefined) {
    if (!isNonNegativeInteger(raw.delayMs)) problem("delayMs", "Must be an integer >= 0.");
    else rule.delayMs = raw.delayMs;
  }
  if (raw.hold !== undefined) {
    if (typeof raw.hold !== "boolean") problem("hold", "Must be a boolean.");
    else if (raw.hold) rule.hold = true;
  }
  if (raw.dropAfterBytes !== undefined) {
    if (!isNonNegativeInteger(raw.dropAfterBytes)) {
      problem("dropAfterBytes", "Must be an integer >= 0.");
    } else rule.dropAfterBytes = raw.dropAfterBytes;
  }
  if (raw.dropAfterRequestBytes !== undefined) {
    if (!isNonNegativeInteger(raw.dropAfterRequestBytes)) {
      problem("dropAfterRequestBytes", "Must be an integer >= 0.");
    } else rule.dropAfterRequestBytes = raw.dropAfterRequestBytes;
  }
  if (raw.requestBytesPerSecond !== undefined) {
    if (!isNonNegativeInteger(raw.requestBytesPerSecond) || raw.requestBytesPerSecond < 1) {
      problem("requestBytesPerSecond", "Must be an integer >= 1.");
    } else rule.requestBytesPerSecond = raw.requestBytesPerSecond;
  }
  if (raw.corruptByteAt !== undefined) {
    if (!isNonNegativeInteger(raw.corruptByteAt)) {
      problem("corruptByteAt", "Must be an integer >= 0.");
    } else rule.corruptByteAt = raw.corruptByteAt;
  }
  if (errors.length > 0) throw new FaultRuleError(errors);
  return rule;
}

interface StoredRule {
  id: string;
  rule: FaultRule;
  method: string;
  pattern: RegExp;
  remaining: number;
  hits: number;
}

/** The fault a request drew: what to do to it. */
export interface DrawnFault {
  id: string;
  rule: FaultRule;
}

/** The requests a `hold` rule keeps waiting, and whether it was released. */
interface Hold {
  released: boolean;
  waiting: Set<() => void>;
}

/** The fault rule table. Rules are only ever added by a caller: nothing turns a fault on by itself. */
export class Faults implements FaultController {
  private rules: StoredRule[] = [];
  private readonly holds = new Map<string, Hold>();

  add(rule: FaultRule): string {
    const clean = parseFaultRule(rule);
    const id = randomUUID();
    this.rules.push({
      id,
      rule: clean,
      method: clean.method ?? "*",
      pattern:
        clean.pathRegex !== undefined
          ? new RegExp(clean.pathRegex)
          : globToRegExp(clean.path ?? ""),
      remaining: clean.times ?? 1,
      hits: 0,
    });
    if (clean.hold === true) this.holds.set(id, { released: false, waiting: new Set() });
    return id;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
    this.release(id);
    this.holds.delete(id);
  }

  clear(): void {
    this.rules = [];
    for (const id of [...this.holds.keys()]) this.remove(id);
  }

  held(id: string): number {
    return this.holds.get(id)?.waiting.size ?? 0;
  }

  release(id: string): void {
    const hold = this.holds.get(id);
    if (hold === undefined) return;
    hold.released = true;
    for (const go of hold.waiting) go();
    hold.waiting.clear();
  }

  /**
   * Waits until the `hold` rule `id` is released; false when `signal` aborts first (the client
   * went away or the server is closing).
   */
  async hold(id: string, signal: AbortSignal): Promise<boolean> {
    const hold = this.holds.get(id);
    if (hold === undefined || hold.released) return true;
    if (signal.aborted) return false;
    return new Promise<boolean>((resolve) => {
      const go = (): void => {
        signal.removeEventListener("abort", stop);
        resolve(true);
      };
      const stop = (): void => {
        hold.waiting.delete(go);
        resolve(false);
      };
      hold.waiting.add(go);
      signal.addEventListener("abort", stop, { once: true });
    });
  }

  list(): ActiveFaultRule[] {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, remaining: r.remaining, hits: r.hits }));
  }

  /** True when a rule with this id is active. */
  has(id: string): boolean {
    return this.rules.some((r) => r.id === id);
  }

  /**
   * Takes the first rule matching the request, counting the hit and dropping the rule once it is
   * used up.
   */
  draw(method: string, path: string): DrawnFault | undefined {
    const upper = method.toUpperCase();
    const stored = this.rules.find(
      (r) => (r.method === "*" || r.method === upper) && r.pattern.test(path),
    );
    if (stored === undefined) return undefined;
    stored.hits++;
    stored.remaining--;
    // A used-up rule leaves the table, but the requests it holds stay held until released.
    if (stored.remaining <= 0) this.rules = this.rules.filter((r) => r !== stored);
    return { id: stored.id, rule: stored.rule };
  }
}

/** Sends the response a fault rule with `status` prescribes. */
export function sendFaultResponse(res: ServerResponse, rule: FaultRule & { status: number }): void {
  const status = rule.status;
  const headers: Record<string, string> = { ...(rule.headers ?? {}) };
  const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  let payload: Buffer;
  if (status === 204 || status === 304) payload = Buffer.alloc(0);
  else if (typeof rule.body === "string") {
    payload = Buffer.from(rule.body, "utf8");
    if (!hasContentType) headers["Content-Type"] = "text/plain; charset=utf-8";
  } else if (rule.body !== undefined || status >= 400) {
    const body = rule.body ?? errorBody(status, defaultMessage(status));
    payload = Buffer.from(JSON.stringify(body), "utf8");
    if (!hasContentType) headers["Content-Type"] = "application/json";
  } else payload = Buffer.alloc(0);
  headers["Content-Length"] = String(payload.length);
  res.writeHead(status, headers);
  res.end(payload);
}

type Callback = (error?: Error | null) => void;

function chunkToBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") {
    return Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  }
  return Buffer.alloc(0);
}

function callbackOf(a: unknown, b: unknown): Callback | undefined {
  if (typeof a === "function") return a as Callback;
  if (typeof b === "function") return b as Callback;
  return undefined;
}

/**
 * Flips the bits of the body byte at offset `at`, however the handler writes the body; the
 * length and headers stay as they were.
 */
export function corruptResponse(res: ServerResponse, at: number): void {
  const write = res.write.bind(res) as (chunk: Buffer, cb?: Callback) => boolean;
  const end = res.end.bind(res) as (chunk?: Buffer, cb?: () => void) => ServerResponse;
  let offset = 0;
  const flip = (buffer: Buffer): Buffer => {
    let out = buffer;
    if (at >= offset && at < offset + buffer.length) {
      out = Buffer.from(buffer);
      out[at - offset] = (out[at - offset] ?? 0) ^ 0xff;
    }
    offset += buffer.length;
    return out;
  };
  Object.assign(res, {
    write: (chunk: unknown, encoding?: unknown, cb?: unknown): boolean =>
      write(flip(chunkToBuffer(chunk, encoding)), callbackOf(encoding, cb)),
    end: (chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse => {
      const done = callbackOf(chunk, callbackOf(encoding, cb));
      const buffer = typeof chunk === "function" ? Buffer.alloc(0) : chunkToBuffer(chunk, encoding);
      const last = buffer.length > 0 ? flip(buffer) : undefined;
      return done === undefined ? end(last) : end(last, done);
    },
  });
}

/**
 * Lets the response's headers and its first `limit` body bytes reach the client, then destroys the
 * socket, whatever the handler writes and however it writes it (one `end`, many `write`s, a pipe).
 * @param onCut called once when the socket is cut
 */
export function truncateResponse(res: ServerResponse, limit: number, onCut: () => void): void {
  const write = res.write.bind(res) as (chunk: Buffer, cb?: Callback) => boolean;
  const end = res.end.bind(res) as (cb?: () => void) => ServerResponse;
  let sent = 0;
  let cut = false;
  const destroy = (): void => {
    res.socket?.destroy();
  };
  const pass = (buffer: Buffer, cb: Callback | undefined): boolean => {
    if (cut) return false;
    const room = limit - sent;
    if (buffer.length <= room) {
      sent += buffer.length;
      return write(buffer, cb);
    }
    cut = true;
    onCut();
    // Writing even an empty slice flushes pending headers; the callback fires once it is on the wire.
    write(buffer.subarray(0, room), destroy);
    return false;
  };
  Object.assign(res, {
    write: (chunk: unknown, encoding?: unknown, cb?: unknown): boolean =>
      pass(chunkToBuffer(chunk, encoding), callbackOf(encoding, cb)),
    end: (chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse => {
      if (typeof chunk === "function") chunk = undefined;
      const buffer = chunkToBuffer(chunk, encoding);
      if (cut) return res;
      if (sent + buffer.length > limit) {
        pass(buffer, undefined);
        return res;
      }
      if (buffer.length > 0) pass(buffer, undefined);
      const done = callbackOf(encoding, cb);
      return done === undefined ? end() : end(done);
    },
  });
}

/**
 * Lets the handler read the request body's first `limit` bytes, then destroys the socket, so a
 * client sees its upload cut mid-body. It sits where the HTTP parser hands body chunks to the
 * request stream, so it works however the handler consumes the body.
 * @param onCut called once when the socket is cut
 */
export function truncateRequest(req: IncomingMessage, limit: number, onCut: () => void): void {
  if (limit === 0) {
    onCut();
    req.socket.destroy();
    return;
  }
  const push = req.push.bind(req) as (chunk: unknown, encoding?: BufferEncoding) => boolean;
  let seen = 0;
  let cut = false;
  Object.assign(req, {
    push: (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (cut) return false;
      if (chunk === null) return push(null);
      const buffer = chunkToBuffer(chunk, encoding);
      if (seen + buffer.length <= limit) {
        seen += buffer.length;
        return push(buffer);
      }
      cut = true;
      onCut();
      const head = buffer.subarray(0, limit - seen);
      seen = limit;
      if (head.length > 0) push(head);
      // Let the handler take the bytes it was given before the connection goes.
      setImmediate(() => req.socket.destroy());
      return false;
    },
  });
}

/**
 * Hands the request body to the handler at no more than `bytesPerSecond`: each chunk is held
 * until its time, and the socket stays paused meanwhile (the parser pauses it when a push is
 * refused), so the client's bytes wait in its own send buffer as on a slow link.
 */
export function throttleRequest(req: IncomingMessage, bytesPerSecond: number): void {
  const push = req.push.bind(req) as (chunk: unknown, encoding?: BufferEncoding) => boolean;
  const started = performance.now();
  let seen = 0;
  let queue = Promise.resolve();
  Object.assign(req, {
    push: (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk === null) {
        queue = queue.then(() => {
          push(null);
        });
        return false;
      }
      const buffer = chunkToBuffer(chunk, encoding);
      seen += buffer.length;
      const due = started + (seen / bytesPerSecond) * 1000;
      queue = queue
        .then(() => new Promise((resolve) => setTimeout(resolve, due - performance.now())))
        .then(() => {
          push(buffer);
        });
      return false;
    },
  });
}
