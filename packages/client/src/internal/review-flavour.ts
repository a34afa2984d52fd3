// How each kind of repository reviews record changes: the one place that decides whether a
// community, a publication, a record's requests, "my requests" and the deletion of a published
// record go through oarepo's requests (NRP) or through InvenioRDM's
// community-submission review and administrator actions. Records and requests ask here; they
// never guess from the links a record happens to carry.

import type { NRPRepositoryInfo } from "../resources/info.js";

/** The per-flavour answers of the review workflow (see {@link reviewFlavourOf}). */
export interface ReviewFlavour {
  /** `nrp` (oarepo-requests workflows) or `rdm` (plain InvenioRDM). */
  readonly name: "nrp" | "rdm";
  /**
   * How a new draft joins a community: `parent` sends it in the create body
   * (`parent.communities.default`, oarepo-communities); `review` creates the draft and then its
   * community-submission review (`PUT …/draft/review`), since RDM ignores `parent.communities`.
   */
  readonly community: "parent" | "review";
  /**
   * How `publish()` goes when the draft is not simply published: `requests` takes the model
   * workflow's applicable publish request when the draft has no publish link (decided per model
   * and workflow by the server's links); `review` submits the draft's community-submission review
   * when it has one (`POST …/draft/actions/submit-review`), and publishes directly otherwise.
   */
  readonly publish: "requests" | "review";
  /**
   * Where a record's requests are read: `links` from `links["applicable-requests"]` and
   * `links.requests`; `review` from the draft's review (`…/draft/review`, since
   * `GET …/requests` is 404 until the record is published) and, once published, `links.requests`.
   */
  readonly recordRequests: "links" | "review";
  /**
   * How "my requests" are searched: `mine` adds oarepo's `mine=true` to `/api/requests/`; `user`
   * asks `/api/user/requests` (RDM ignores `mine`: the requests I created or that are addressed
   * to me as a user).
   */
  readonly myRequests: "mine" | "user";
  /**
   * How a published record is deleted: `request` through a `delete_published_record` request;
   * `admin` by `DELETE …/<id>/delete` with a tombstone, which only administrators may do.
   */
  readonly deletePublished: "request" | "admin";
}

/** oarepo/NRP: every review goes through oarepo-requests, as each model's workflow says. */
export const NRP_REVIEW_FLAVOUR: ReviewFlavour = {
  name: "nrp",
  community: "parent",
  publish: "requests",
  recordRequests: "links",
  myRequests: "mine",
  deletePublished: "request",
};

/** Plain InvenioRDM: community-submission reviews, the user's request list, admin deletion. */
export const RDM_REVIEW_FLAVOUR: ReviewFlavour = {
  name: "rdm",
  community: "review",
  publish: "review",
  recordRequests: "review",
  myRequests: "user",
  deletePublished: "admin",
};

/** The review flavour of a repository: InvenioRDM's when discovery recognised plain RDM. */
export function reviewFlavourOf(repo: Pick<NRPRepositoryInfo, "isRdm">): ReviewFlavour {
  return repo.isRdm ? RDM_REVIEW_FLAVOUR : NRP_REVIEW_FLAVOUR;
}

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
