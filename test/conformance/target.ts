// The server a conformance run talks to: the devserver started in-process (fresh data, one
// flavour) or an external repository described by the JSON file in NRP_CONFORMANCE_TARGET
// (the contract the real-server scripts write; see docs in the file's fields below). A target
// has a community, or (an NRP repository without communities) a pair of workflows.

import { readFileSync } from "node:fs";

import { startDevServer } from "nrp-invenio-devserver";

import type { Flavour, Setup } from "./flavours.js";

/** The environment variable naming an external target's JSON file. */
export const TARGET_ENV = "NRP_CONFORMANCE_TARGET";
/** The environment variable picking one devserver flavour (default: both). */
export const FLAVOUR_ENV = "NRP_CONFORMANCE_FLAVOUR";

/** The four users a journey needs, by role. */
export interface TargetTokens {
  /** An ordinary user: creates, uploads, publishes. */
  depositor: string;
  /** A second ordinary user, for permission checks and requests that are not the depositor's. */
  other: string;
  /**
   * A curator (or owner) of {@link ConformanceTarget.community}, or the user the curated
   * workflow sends its requests to.
   */
  curator: string;
  /** A superuser: deletes published records where only administrators may. */
  admin: string;
}

/** A community of the target, by its UUID and its slug. */
export interface TargetCommunity {
  id: string;
  slug: string;
}

/** The workflow codes (`parent.workflow`) of an NRP repository configured without communities. */
export interface TargetWorkflows {
  /** A workflow that accepts every request on submit (the depositor's ordinary deposits). */
  auto: string;
  /** A workflow whose publish and delete requests go to the `curator` user. */
  curated: string;
}

/** A running repository a conformance run is pointed at. */
export interface ConformanceTarget {
  /** Shown in test names and the run's summary, e.g. `devserver-rdm` or `invenio-rdm13`. */
  name: string;
  flavour: Flavour;
  /** The repository's origin, without a trailing slash. */
  url: string;
  /** TLS verification (false only for self-signed https). */
  verify: boolean;
  /** The model deposits go to (`records` on plain RDM). */
  model: string;
  tokens: TargetTokens;
  /** Which column of the flavour table applies: the flavour and how deposits are placed. */
  setup: Setup;
  /** A community the curator curates; submissions go there. Absent with `workflows`. */
  community?: TargetCommunity;
  /** The workflows a draft names on a repository without communities. Absent with `community`. */
  workflows?: TargetWorkflows;
  /** True for the in-process devserver (fresh and fast), false for an external server. */
  local: boolean;
  /** Stops what the run started (nothing for an external server). */
  close: () => Promise<void>;
}

/** Which target a test file is for, known before anything starts (test names depend on it). */
export interface TargetPlan {
  name: string;
  flavour: Flavour;
  setup: Setup;
  local: boolean;
  start: () => Promise<ConformanceTarget>;
}

/** A test file's target, or why the file runs nothing in this run. */
export type TargetChoice = { plan: TargetPlan } | { skip: string };

/** The devserver's built-in community that its `curator` curates (DEFAULT_COMMUNITIES). */
const DEVSERVER_COMMUNITY = { id: "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01", slug: "physics" };

/** The devserver's setup per flavour: both have communities. */
const DEVSERVER_SETUP: Readonly<Record<Flavour, Setup>> = { rdm: "rdm", nrp: "nrp-communities" };

/**
 * The deposit model per devserver flavour: RDM has only `records`; on NRP `datasets` is the
 * curated model with communities and requests, as NRP repositories configure theirs.
 */
const DEVSERVER_MODEL: Readonly<Record<Flavour, string>> = { rdm: "records", nrp: "datasets" };

function devserverPlan(flavour: Flavour): TargetPlan {
  return {
    name: `devserver-${flavour}`,
    flavour,
    setup: DEVSERVER_SETUP[flavour],
    local: true,
    start: async () => {
      const server = await startDevServer({ flavour });
      // The devserver's users map onto the roles: `owner` deposits, `depositor` is the second
      // ordinary user, `curator` curates every built-in community, `admin` is a superuser.
      return {
        name: `devserver-${flavour}`,
        flavour,
        url: server.url,
        verify: true,
        model: DEVSERVER_MODEL[flavour],
        setup: DEVSERVER_SETUP[flavour],
        tokens: {
          depositor: server.tokens.owner,
          other: server.tokens.depositor,
          curator: server.tokens.curator,
          admin: server.tokens.admin,
        },
        community: DEVSERVER_COMMUNITY,
        local: true,
        close: () => server.close(),
      };
    },
  };
}

function fail(file: string, what: string): never {
  throw new Error(`${TARGET_ENV}=${file}: ${what}`);
}

function field(
  file: string,
  data: Record<string, unknown>,
  key: string,
  name: string = key,
): string {
  const value = data[key];
  if (typeof value !== "string" || value === "") fail(file, `"${name}" must be a non-empty string`);
  return value;
}

/** `data[key]` as an object (undefined when absent), or a clear failure naming the key. */
function object(
  file: string,
  data: Record<string, unknown>,
  key: string,
  shape: string,
): Record<string, unknown> | undefined {
  const value = data[key];
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(file, `"${key}" must be an object with ${shape}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Where the target's deposits go: its community, or (flavour `nrp` only) its workflows; exactly
 * one of the two.
 */
function placement(
  file: string,
  obj: Record<string, unknown>,
  flavour: Flavour,
): Pick<ConformanceTarget, "setup" | "community" | "workflows"> {
  const community = object(file, obj, "community", `"id" and "slug"`);
  const workflows = object(file, obj, "workflows", `"auto" and "curated" (workflow codes)`);
  if (community !== undefined && workflows !== undefined) {
    fail(file, `give either "community" or "workflows", not both`);
  }
  if (workflows !== undefined) {
    if (flavour !== "nrp") {
      fail(file, `"workflows" is for an NRP repository without communities ("flavour": "nrp")`);
    }
    return {
      setup: "nrp-workflows",
      workflows: {
        auto: field(file, workflows, "auto", "workflows.auto"),
        curated: field(file, workflows, "curated", "workflows.curated"),
      },
    };
  }
  if (community === undefined) {
    fail(
      file,
      flavour === "nrp"
        ? `needs "community" ({"id", "slug"}) or, without communities, "workflows" ({"auto", "curated"})`
        : `needs "community" ({"id", "slug"}): the community the curator curates`,
    );
  }
  return {
    setup: flavour === "rdm" ? "rdm" : "nrp-communities",
    community: {
      id: field(file, community, "id", "community.id"),
      slug: field(file, community, "slug", "community.slug"),
    },
  };
}

/** Reads and checks an external target's JSON file; every mistake names the file and the key. */
export function readTargetFile(file: string): ConformanceTarget {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(
      file,
      `cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    fail(file, "must hold a JSON object");
  }
  const obj = data as Record<string, unknown>;
  const flavour = obj.flavour;
  if (flavour !== "rdm" && flavour !== "nrp") fail(file, `"flavour" must be "rdm" or "nrp"`);
  const t = object(file, obj, "tokens", `"depositor", "other", "curator" and "admin"`);
  if (t === undefined) fail(file, `"tokens" must be an object`);
  const verify = obj.verify ?? true;
  if (typeof verify !== "boolean") fail(file, `"verify" must be true or false`);
  return {
    name: field(file, obj, "name"),
    flavour,
    url: field(file, obj, "url").replace(/\/+$/, ""),
    verify,
    model: field(file, obj, "model"),
    tokens: {
      depositor: field(file, t, "depositor", "tokens.depositor"),
      other: field(file, t, "other", "tokens.other"),
      curator: field(file, t, "curator", "tokens.curator"),
      admin: field(file, t, "admin", "tokens.admin"),
    },
    ...placement(file, obj, flavour),
    local: false,
    close: () => Promise.resolve(),
  };
}

/** The external target of this run, or why there is none. */
export function externalTarget(env: NodeJS.ProcessEnv = process.env): TargetChoice {
  const file = env[TARGET_ENV];
  if (file === undefined || file === "") {
    return { skip: `no external server: ${TARGET_ENV} is not set` };
  }
  const target = readTargetFile(file);
  return {
    plan: {
      name: target.name,
      flavour: target.flavour,
      setup: target.setup,
      local: false,
      start: () => Promise.resolve(target),
    },
  };
}

/** The devserver target of one flavour, or why this run does not start it. */
export function devserverTarget(
  flavour: Flavour,
  env: NodeJS.ProcessEnv = process.env,
): TargetChoice {
  const external = env[TARGET_ENV];
  if (external !== undefined && external !== "") {
    return { skip: `devserver-${flavour} not started: ${TARGET_ENV} selects ${external}` };
  }
  const only = env[FLAVOUR_ENV];
  if (only !== undefined && only !== "" && only !== flavour) {
    return { skip: `devserver-${flavour} not started: ${FLAVOUR_ENV}=${only}` };
  }
  return { plan: devserverPlan(flavour) };
}
