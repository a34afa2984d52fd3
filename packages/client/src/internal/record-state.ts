// Whether a record body is a draft, and whether its record has been published, from what every
// repository sends. InvenioRDM adds `is_draft` and `is_published` to its bodies; oarepo/NRP
// (oarepo-runtime 1.x) has neither, nor `versions` or `expires_at`. What both have is the API URL
// of the body itself: `links.self` is `…/<id>/draft` for a draft and `…/<id>` for a published
// record, in reads, in answers to create, save and actions, and in search hits alike.

import type { Json } from "../core/json.js";
import { isObject } from "./json.js";

/** What {@link recordStateOf} decides about a record body. */
export interface RecordState {
  /** The body is a draft (`…/<id>/draft`): a new record, an edit, or a new version. */
  readonly draft: boolean;
  /**
   * The record has a published version under this id: always for a published record; for a draft,
   * when it edits a published record (not for a first draft or a new version's draft).
   */
  readonly published: boolean;
}

/** Whether an API URL's path ends with the `/draft` segment (query and trailing slash ignored). */
export function isDraftUrl(url: string): boolean {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  return /\/draft\/*$/.test(path);
}

/**
 * Decides draft or published from a record body (and, when the body has no `links.self`, the URL
 * it was read from).
 *
 * Draft: `links.self` ends with `/draft`; without that link, InvenioRDM's `is_draft`, then the URL
 * the body was read from. Published: a record that is not a draft is published; a draft is an
 * edit of a published record when InvenioRDM's `is_published` says so or, on oarepo (which has no
 * such field), when the draft links its published record (`links.record`, which oarepo emits for
 * a draft only once the record exists, while InvenioRDM always emits it).
 */
export function recordStateOf(data: Readonly<Json>, readFrom?: string): RecordState {
  const links = isObject(data.links) ? data.links : {};
  const self = typeof links.self === "string" ? links.self : undefined;
  let draft: boolean;
  if (self !== undefined) draft = isDraftUrl(self);
  else if (typeof data.is_draft === "boolean") draft = data.is_draft;
  else draft = readFrom !== undefined && isDraftUrl(readFrom);
  if (!draft) return { draft, published: true };
  if (typeof data.is_published === "boolean") return { draft, published: data.is_published };
  return { draft, published: typeof links.record === "string" };
}
