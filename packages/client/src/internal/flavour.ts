// What differs between the two kinds of repository the client speaks to: an NRP (oarepo)
// repository and a plain InvenioRDM. Every per-flavour decision lives in the table below, so that
// code elsewhere asks "what does this repository do?" instead of testing the flavour itself.
// The review rows decide whether a community, a publication, a record's requests, "my requests"
// and the deletion of a published record go through oarepo's requests (NRP) or through
// InvenioRDM's community-submission review and administrator actions; records and requests ask
// here and never guess from the links a record happens to carry.
//
// Structured search is deliberately not a difference: both flavours get a structured query as
// a query string (`q`) on a GET, and what has no query-string form is refused on both
// (`query-string.ts`). Plain InvenioRDM has no search that takes a body (`POST /api/records`
// creates a draft). NRP's global search does accept `POST /api/search/`, but on oarepo 12/13 it
// hands the body on as an `advanced_query` parameter that nothing reads, and answers 200 with
// every record: an unfiltered result that looks filtered. Neither `/.well-known/repository`
// (its `features`) nor the models document says whether a server honours the body, so no
// repository is trusted with one.

/** The kinds of repository: NRP (oarepo, with a well-known document) or plain InvenioRDM. */
export type FlavourName = "nrp" | "rdm";

/** The decisions that differ between flavours; one field per decision. */
export interface FlavourRules {
  /** Which flavour these rules are for. */
  readonly name: FlavourName;
  /**
   * Facets, besides `is_published=false`, that keep a search of the caller's records to drafts.
   * oarepo (NRP 12/13) has no `is_published` facet and ignores it; its drafts facet is
   * `record_status=draft` (every draft, also the edit of a published record). InvenioRDM filters
   * on `is_published` itself.
   */
  readonly draftsFacets: readonly (readonly [string, string])[];
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

const RULES: Readonly<Record<FlavourName, FlavourRules>> = {
  // oarepo/NRP: every review goes through oarepo-requests, as each model's workflow says.
  nrp: {
    name: "nrp",
    draftsFacets: [["record_status", "draft"]],
    community: "parent",
    publish: "requests",
    recordRequests: "links",
    myRequests: "mine",
    deletePublished: "request",
  },
  // Plain InvenioRDM: community-submission reviews, the user's request list, admin deletion.
  rdm: {
    name: "rdm",
    draftsFacets: [],
    community: "review",
    publish: "review",
    recordRequests: "review",
    myRequests: "user",
    deletePublished: "admin",
  },
};

/** The rules of an NRP repository: also what applies before discovery could tell. */
export const NRP_RULES: FlavourRules = RULES.nrp;

/** The rules of a repository, from what discovery found (`isRdm`). */
export function flavourOf(repository: { readonly isRdm: boolean }): FlavourRules {
  return repository.isRdm ? RULES.rdm : RULES.nrp;
}
