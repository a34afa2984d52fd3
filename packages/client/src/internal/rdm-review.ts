// InvenioRDM's community-submission review and record removal: the request type, the review
// body, the default removal reasons and the URLs under a draft. Whether a repository uses them at
// all is decided in flavour.ts.

/** The request type of InvenioRDM's community review. */
export const RDM_REVIEW_TYPE = "community-submission";

/** The body of `PUT …/draft/review` that addresses the draft to a community (by UUID). */
export function rdmReviewBody(communityId: string): Record<string, unknown> {
  return { receiver: { community: communityId }, type: RDM_REVIEW_TYPE };
}

/**
 * The removal reasons of InvenioRDM's default `removalreasons` vocabulary (invenio-rdm-records
 * fixtures); a repository may define others, which its `/api/vocabularies/removalreasons` lists.
 */
export const RDM_REMOVAL_REASONS: readonly string[] = [
  "duplicate",
  "retracted",
  "replaced",
  "spam",
  "test-record",
  "copyright",
  "personal-data",
  "take-down-request",
  "disputed-authorship",
  "misconduct",
  "fraud",
  "out-of-scope",
];

/**
 * A URL under a draft's API URL (`…/<id>/draft`): `draftUrl(self, "review")`,
 * `draftUrl(self, "actions/files-import")`.
 */
export function draftUrl(draftSelf: string, path: string): string {
  return `${draftSelf.replace(/\/+$/, "")}/${path}`;
}
