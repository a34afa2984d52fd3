// Pure parsing of the identifiers users type for a record: model ids ("mids"), API and HTML URLs,
// DOIs, and the signposting `Link` header that leads from a landing page to the API.

import { InvalidRecordIdError } from "../core/errors.js";

/** A record addressed within one repository. */
export interface ParsedMid {
  model: string;
  id: string;
  draft: boolean;
}

/** What a user-supplied identifier turned out to be. */
export type ClassifiedId =
  { kind: "doi"; doi: string } | { kind: "url"; url: string } | { kind: "mid"; value: string };

const SEGMENT = /^[^/\s]+$/;

/**
 * Parses `"model/id"`, `"draft/model/id"`, a bare `"id"` (with `defaultModel`) or the array forms
 * `["model","id"]` / `["draft","model","id"]`.
 */
export function parseMid(
  value: string | readonly string[],
  defaultModel: string | undefined,
): ParsedMid {
  const parts = typeof value === "string" ? value.trim().split("/") : [...value];
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  const bad = (why: string): InvalidRecordIdError =>
    new InvalidRecordIdError(
      `Invalid record id ${JSON.stringify(shown)}: ${why}. Use "model/id" or "draft/model/id" (recordGetter also accepts API and landing page URLs and DOIs).`,
      shown,
    );
  if (parts.length === 0 || parts.some((p) => !SEGMENT.test(p))) {
    throw bad("empty or blank parts");
  }
  const withDefault = (id: string, draft: boolean): ParsedMid => {
    if (defaultModel === undefined) {
      throw bad("a bare id needs a model because the repository has no default model");
    }
    return { model: defaultModel, id, draft };
  };
  const [a, b, c] = parts as [string, string?, string?];
  switch (parts.length) {
    case 1:
      return withDefault(a, false);
    case 2:
      return a === "draft" ? withDefault(b ?? "", true) : { model: a, id: b ?? "", draft: false };
    case 3:
      if (a !== "draft") throw bad(`three parts must start with "draft", not "${a}"`);
      return { model: b ?? "", id: c ?? "", draft: true };
    default:
      throw bad("too many parts");
  }
}

/** The mid of a record: `model/id`, or `draft/model/id` for drafts. */
export function formatMid(model: string, id: string, draft: boolean): string {
  return `${draft ? "draft/" : ""}${model}/${id}`;
}

const DOI = /^10\.\d{4,9}(?:\.\d+)*\/\S+$/;
const DOI_URL = /^https?:\/\/(?:dx\.)?doi\.org\/(.+)$/i;

/** Classifies an identifier as a DOI (`10.x/…`, `doi:10.x/…`, `https://doi.org/10.x/…`), URL or mid. */
export function classifyIdentifier(input: string): ClassifiedId {
  const value = input.trim();
  const lower = value.toLowerCase();
  if (lower.startsWith("doi:")) return { kind: "doi", doi: value.slice(4).trim() };
  const doiUrl = DOI_URL.exec(value);
  if (doiUrl) return { kind: "doi", doi: decodeURIComponent(doiUrl[1] ?? "") };
  if (DOI.test(value)) return { kind: "doi", doi: value };
  if (/^https?:\/\//i.test(value)) return { kind: "url", url: value };
  return { kind: "mid", value };
}

/** The DataCite REST URL of a DOI: `<resolver>/dois/<doi>` with each path segment encoded. */
export function doiApiUrl(resolverUrl: string, doi: string): string {
  const base = resolverUrl.replace(/\/+$/, "");
  return `${base}/dois/${doi.split("/").map(encodeURIComponent).join("/")}`;
}

/** One link of an RFC 8288 `Link` header. */
export interface WebLink {
  url: string;
  rel: string[];
  type: string | undefined;
}

/** Parses an RFC 8288 `Link` header (one value or several); malformed parts are skipped. */
export function parseLinkHeader(header: string | readonly string[] | undefined): WebLink[] {
  if (header === undefined) return [];
  const text = typeof header === "string" ? header : header.join(", ");
  const out: WebLink[] = [];
  const link = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"[^"]*"|[^;,]*))?)*)/g;
  for (const match of text.matchAll(link)) {
    const params = new Map<string, string>();
    const param = /;\s*([^;,=\s]+)(?:\s*=\s*("([^"]*)"|[^;,]*))?/g;
    for (const p of (match[2] ?? "").matchAll(param)) {
      const name = (p[1] ?? "").toLowerCase();
      if (!params.has(name)) params.set(name, (p[3] ?? p[2] ?? "").trim());
    }
    out.push({
      url: match[1] ?? "",
      rel: (params.get("rel") ?? "").split(/\s+/).filter(Boolean),
      type: params.get("type"),
    });
  }
  return out;
}

/** The API URL a landing page points at through signposting (`rel="linkset"`), if any. */
export function linksetUrl(
  header: string | readonly string[] | undefined,
  base: string,
): string | undefined {
  const links = parseLinkHeader(header);
  const linkset =
    links.find((l) => l.rel.includes("linkset") && l.type === "application/linkset+json") ??
    links.find((l) => l.rel.includes("linkset"));
  return linkset ? new URL(linkset.url, base).toString() : undefined;
}

/** What {@link matchHtmlUrl} and {@link matchApiUrl} need to know about a model. */
export interface ModelUrls {
  name: string;
  /** The published records endpoint (`links.records`). */
  url: string;
  /** The HTML landing prefix (`links.html`), if the server announces one. */
  html?: string | undefined;
}

function pathParts(url: string): string[] {
  return new URL(url).pathname.split("/").filter(Boolean).map(decodeURIComponent);
}

function underPrefix(url: string, prefix: string): string[] | undefined {
  const u = new URL(url);
  const p = new URL(prefix);
  if (u.origin !== p.origin) return undefined;
  const have = pathParts(url);
  const want = pathParts(prefix);
  if (want.length > have.length || want.some((w, i) => have[i] !== w)) return undefined;
  return have.slice(want.length);
}

/**
 * Maps an API URL (`<records>/<id>` or `<records>/<id>/draft`) to its model, so that a record read
 * by URL still has a mid.
 */
export function matchApiUrl(url: string, models: readonly ModelUrls[]): ParsedMid | undefined {
  for (const model of models) {
    if (!model.url) continue;
    const rest = underPrefix(url, model.url);
    if (
      rest?.[0] !== undefined &&
      (rest.length === 1 || (rest.length === 2 && rest[1] === "draft"))
    ) {
      return { model: model.name, id: rest[0], draft: rest.length === 2 };
    }
  }
  return undefined;
}

const DRAFT_HTML_SUFFIXES = new Set(["preview", "edit"]);

/**
 * Maps a landing page URL to a record when the page gives no signposting header: NRP's
 * `/<model>/<id>` (`…/preview`, `…/edit` for drafts) and RDM's `/records/<id>` and `/uploads/<id>`.
 */
export function matchHtmlUrl(url: string, models: readonly ModelUrls[]): ParsedMid | undefined {
  for (const model of models) {
    const html = model.html ?? new URL(`/${model.name}/`, url).toString();
    const rest = underPrefix(url, html);
    if (rest?.[0] === undefined || rest.length > 2) continue;
    if (rest.length === 2 && !DRAFT_HTML_SUFFIXES.has(rest[1] ?? "")) continue;
    return { model: model.name, id: rest[0], draft: rest.length === 2 };
  }
  const parts = pathParts(url);
  if (parts.length === 2 && parts[0] === "uploads" && models.some((m) => m.name === "records")) {
    return { model: "records", id: parts[1] ?? "", draft: true };
  }
  return undefined;
}
