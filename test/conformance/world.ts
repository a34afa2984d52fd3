// What every conformance test works with: the running target, one library client and one CLI
// alias per user, a scratch directory, a word unique to the run, and the few helpers that turn a
// flavour's expectation (flavours.ts) into steps (deposit, publish, settle a review).

import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";

import { NRPInvenioClient, ReviewPendingError } from "nrp-invenio-client";
import type { Json, NRPRecord, NRPRecordRequest } from "nrp-invenio-client";
import { main } from "nrp-invenio-cli";
import type { CliIO } from "nrp-invenio-cli";
import { Agent, request } from "undici";
import { afterAll, beforeAll, expect } from "vitest";

import { FLAVOURS } from "./flavours.js";
import type {
  DepositFields,
  DepositKind,
  DepositRule,
  FlavourExpectations,
  Role,
} from "./flavours.js";
import type { ConformanceTarget, TargetPlan } from "./target.js";

/** Every role, in the order the aliases are added (the first is the CLI's default alias). */
export const ROLES: readonly Role[] = ["depositor", "other", "curator", "admin"];

/** What one `nrp` invocation did. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Binary standard output (`-o -`). */
  bytes: Buffer;
}

/** Options of one `nrp` invocation. */
export interface CliOptions {
  /** Whose alias to use. @default "depositor" */
  as?: Role;
  signal?: AbortSignal;
}

/** The shared state of one conformance run, ready once its `beforeAll` has run. */
export interface World {
  readonly target: ConformanceTarget;
  /** The expectations of the target's setup (flavours.ts). */
  readonly expects: FlavourExpectations;
  /** One library client per user. */
  readonly clients: Readonly<Record<Role, NRPInvenioClient>>;
  /** A scratch directory for files to upload and downloads. */
  readonly work: string;
  /** Letters and digits unique to this run, one search token; titles carry it. */
  readonly run: string;
  /** Runs `nrp` in-process with a temporary HOME holding one alias per user. */
  nrp(argv: readonly string[], options?: CliOptions): Promise<CliResult>;
  /**
   * Calls `probe` until `done` accepts its result or the target's indexing delay is over, and
   * returns the last result (the caller's assertion then shows what was there): a real server
   * indexes asynchronously, the devserver at once.
   */
  eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T>;
  /**
   * One plain GET of a URL of the target as `as` (default: the depositor), beside the client:
   * what the server itself answers, for the behaviours the suite observes rather than expects.
   */
  observe(url: string, headers?: Record<string, string>, as?: Role): Promise<Observed>;
}

/** What the server answered to {@link World.observe}. */
export interface Observed {
  status: number;
  body: Buffer;
}

/** How long a server may take to show a change in search: a real one indexes asynchronously. */
const INDEX_WAIT_MS = { local: 2_000, external: 60_000 } as const;

/** Runs `nrp argv` in-process with captured output; never prompts (stdin is no terminal). */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const chunks: Buffer[] = [];
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false, columns: 120 },
    stderr: { write: (s: string) => (stderr += s), isTTY: false, columns: 120 },
    stdoutBytes: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    env,
    openBrowser: () => Promise.resolve(false),
  };
  if (signal) io.signal = signal;
  const code = await main([...argv], io);
  return { code, stdout, stderr, bytes: Buffer.concat(chunks) };
}

/** The JSON a command printed, after checking that it succeeded (its stderr says why if not). */
export function jsonOut(r: CliResult): Json {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

/**
 * Starts the target before the tests of the calling file and stops it after; the world's fields
 * are readable from the first test (or a later `beforeAll`) on.
 */
export function useWorld(plan: TargetPlan, hookTimeout: number): World {
  let state:
    | {
        target: ConformanceTarget;
        clients: Record<Role, NRPInvenioClient>;
        dispatcher: Agent;
        home: string;
        work: string;
      }
    | undefined;
  const ready = (): NonNullable<typeof state> => {
    if (state === undefined) throw new Error(`the target ${plan.name} did not start`);
    return state;
  };
  const run = `cf${randomBytes(4).toString("hex")}`;
  const world: World = {
    get target() {
      return ready().target;
    },
    expects: FLAVOURS[plan.setup],
    get clients() {
      return ready().clients;
    },
    get work() {
      return ready().work;
    },
    run,
    nrp: (argv, options = {}) => {
      const { home } = ready();
      return runCli(
        [
          "--config",
          join(home, ".nrp", "config.yaml"),
          "--alias",
          options.as ?? "depositor",
          ...argv,
        ],
        { HOME: home, NO_COLOR: "1" },
        options.signal,
      );
    },
    eventually: (probe, done) =>
      poll(probe, done, ready().target.local ? INDEX_WAIT_MS.local : INDEX_WAIT_MS.external),
    observe: async (url, headers = {}, as = "depositor") => {
      const { target, dispatcher } = ready();
      const res = await request(url, {
        dispatcher,
        headers: { authorization: `Bearer ${target.tokens[as]}`, ...headers },
      });
      return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
    },
  };
  let started = 0;
  beforeAll(async () => {
    started = Date.now();
    const target = await plan.start();
    const clients = Object.fromEntries(
      ROLES.map((role) => [
        role,
        new NRPInvenioClient({
          serverUrl: target.url,
          token: target.tokens[role],
          verify: target.verify,
          retryCount: 3,
          retryInterval: 0.2,
        }),
      ]),
    ) as Record<Role, NRPInvenioClient>;
    const home = await mkdtemp(join(tmpdir(), "nrp-conformance-home-"));
    const work = await mkdtemp(join(tmpdir(), "nrp-conformance-work-"));
    const dispatcher = new Agent({ connect: { rejectUnauthorized: target.verify } });
    state = { target, clients, dispatcher, home, work };
    for (const [i, role] of ROLES.entries()) {
      // The first alias is checked against the server (discovery), the others only stored.
      const r = await runCli(
        [
          "--config",
          join(home, ".nrp", "config.yaml"),
          "add",
          "alias",
          target.url,
          role,
          "--token",
          target.tokens[role],
          ...(target.verify ? [] : ["--no-verify"]),
          ...(i === 0 ? [] : ["--no-check"]),
        ],
        { HOME: home, NO_COLOR: "1" },
      );
      expect(r.code, r.stderr).toBe(0);
    }
  }, hookTimeout);
  afterAll(async () => {
    // The run's length per target, in the output of every run (real servers: how long it took).
    console.info(`conformance [${plan.name}]: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (state === undefined) return;
    for (const client of Object.values(state.clients)) await client.close();
    await state.dispatcher.close();
    await state.target.close();
    await rm(state.home, { recursive: true, force: true });
    await rm(state.work, { recursive: true, force: true });
  }, hookTimeout);
  return world;
}

/** Calls `probe` until `done` accepts its result or `timeoutMs` is over; the last result. */
async function poll<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const value = await probe();
    if (done(value) || Date.now() + delay > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The flavour's metadata for a deposit titled `title`. */
export function metadata(w: World, title: string, fields: Partial<DepositFields> = {}): Json {
  return w.expects.metadata.value({
    title,
    resourceType: "dataset",
    publicationDate: "2024-05-01",
    ...fields,
  });
}

/** The rule of a kind of deposit on this target (flavours.ts). */
export function ruleOf(w: World, kind: DepositKind = "ordinary"): DepositRule {
  return (kind === "curated" ? w.expects.curatedDeposit : w.expects.ordinaryDeposit).value;
}

/**
 * Where a kind of deposit is created on this target: the community's slug or the workflow's
 * code its rule names (both undefined: outside any community).
 */
export function placementOf(
  w: World,
  kind: DepositKind = "ordinary",
): { community: string | undefined; workflow: string | undefined } {
  const { target } = w;
  const missing = (what: string): never => {
    throw new Error(`the target ${target.name} has no ${what}, which a ${kind} deposit needs`);
  };
  switch (ruleOf(w, kind).placement) {
    case "none":
      return { community: undefined, workflow: undefined };
    case "community":
      return { community: (target.community ?? missing("community")).slug, workflow: undefined };
    case "auto-workflow":
      return { community: undefined, workflow: (target.workflows ?? missing("workflows")).auto };
    case "curated-workflow":
      return {
        community: undefined,
        workflow: (target.workflows ?? missing("workflows")).curated,
      };
  }
}

/** Options of {@link deposit}. */
export interface DepositOptions {
  as?: Role;
  fields?: Partial<DepositFields>;
  /** Which kind of deposit (where it is created, whether its publishing is reviewed). */
  kind?: DepositKind;
  /** Whether the draft takes files. @default false */
  files?: boolean;
}

/** Creates a draft titled `title` the way the setup's depositors do (library). */
export async function deposit(
  w: World,
  title: string,
  options: DepositOptions = {},
): Promise<NRPRecord> {
  return w.clients[options.as ?? "depositor"].records.create(
    w.target.model,
    metadata(w, title, options.fields),
    { ...placementOf(w, options.kind), filesEnabled: options.files ?? false },
  );
}

/** The command-line flags of a deposit the way the setup's depositors make it. */
export function depositFlags(w: World, kind: DepositKind = "ordinary"): string[] {
  const { community, workflow } = placementOf(w, kind);
  return [
    ...(community === undefined ? [] : ["--community", community]),
    ...(workflow === undefined ? [] : ["--workflow", workflow]),
  ];
}

/**
 * Checks that a published record of a kind of deposit is where it was placed: its parent lists
 * the target's community (and a search by the community finds it), or names the workflow.
 */
export async function expectPlaced(
  w: World,
  record: NRPRecord,
  kind: DepositKind,
  query: string,
): Promise<void> {
  const parent = record.data.parent as Json;
  const { community, workflow } = placementOf(w, kind);
  if (workflow !== undefined) expect(parent.workflow).toBe(workflow);
  if (community === undefined) return;
  const id = w.target.community?.id;
  expect((parent.communities as Json).ids).toContain(id);
  const found = await w.eventually(
    () =>
      w.clients.depositor.searchRequest(w.target.model).query(query).community(community).execute(),
    (page) => page.total >= 1,
  );
  expect([...found].map((r) => r.id)).toEqual([record.id]);
}

/**
 * Runs a change that the flavour does at once or through a curator's review, as `reviewed` says:
 * a review must arrive as a `ReviewPendingError` whose submitted request the curator then
 * accepts; a direct change must not. Resolves with the change's result, or `undefined` after an
 * accepted review (read the outcome again).
 */
export async function settle<T>(
  w: World,
  reviewed: boolean,
  change: () => Promise<T>,
): Promise<{ result: T | undefined; request: NRPRecordRequest | undefined }> {
  let result: T | undefined;
  let pending: ReviewPendingError | undefined;
  try {
    result = await change();
  } catch (error) {
    if (!(error instanceof ReviewPendingError)) throw error;
    pending = error;
  }
  expect(pending !== undefined, `waits for a curator's review: ${String(pending?.message)}`).toBe(
    reviewed,
  );
  if (pending === undefined) return { result, request: undefined };
  const request = pending.request;
  expect(request.status).toBe("submitted");
  const asCurator = await w.clients.curator.requests.get(request.id);
  await asCurator.accept("Accepted by the conformance suite.");
  expect(asCurator.status).toBe("accepted");
  return { result: undefined, request };
}

/**
 * Publishes `draft` of a kind of deposit (reviewed where its rule says so) and reads the
 * published record.
 */
export async function publish(
  w: World,
  draft: NRPRecord,
  kind: DepositKind = "ordinary",
): Promise<NRPRecord> {
  await settle(w, ruleOf(w, kind).reviewed, () => draft.publish());
  return w.clients.depositor.records.getById(w.target.model, draft.id);
}

/**
 * `nrp publish record id` of an ordinary deposit (reviewed where its rule says so: the curator
 * then accepts the printed request with `nrp accept request`).
 */
export async function publishWithCli(w: World, id: string): Promise<Json> {
  const out = jsonOut(await w.nrp(["publish", "record", id, "--format", "json"]));
  await acceptPrinted(w, out, ruleOf(w).reviewed);
  return out;
}

/**
 * Whether a command printed a request (a change sent to review) rather than a record: a request
 * has a type and a status, a record has metadata (and no `is_draft` on every flavour).
 */
export function isRequestJson(out: Json): boolean {
  return (
    typeof out.type === "string" && typeof out.status === "string" && out.metadata === undefined
  );
}

/**
 * Checks that a command printed a submitted request exactly when `reviewed`, and has the curator
 * accept it (`nrp accept request`).
 */
export async function acceptPrinted(w: World, out: Json, reviewed: boolean): Promise<void> {
  const isRequest = isRequestJson(out);
  expect(isRequest, `printed a request: ${JSON.stringify(out).slice(0, 300)}`).toBe(reviewed);
  if (!isRequest) return;
  expect(out.status).toBe("submitted");
  const accepted = jsonOut(
    await w.nrp(["accept", "request", String(out.id), "--format", "json"], { as: "curator" }),
  );
  expect(accepted.status).toBe("accepted");
}

/** A title with the run's word and a label, e.g. `cf1a2b3c4d search alpha`. */
export function titled(w: World, label: string): string {
  return `${w.run} ${label}`;
}
