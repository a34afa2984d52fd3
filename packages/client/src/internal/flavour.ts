// What differs between the two kinds of repository the client speaks to: an NRP (oarepo)
// repository and a plain InvenioRDM. Every per-flavour decision lives in the table below, so that
// code elsewhere asks "what does this repository do?" instead of testing the flavour itself.
//
// Structured search is deliberately not a difference: both flavours get a structured query as
// a query string (`q`) on a GET, and what has no query-string form is refused on both
// (`query-string.ts`). Plain InvenioRDM has no search that takes a body (`POST /api/records`
// creates a draft). NRP's global search does accept `POST /api/search/`, but on oarepo 12/13 it
// hands the body on as an `advanced_query` parameter that nothing reads, and answers 200 with
// every record: an unfiltered result that looks filtered. Neither `/.well-known/repository`
// (its `features`) nor the models document says whether a server honours the body, so no
// repository is trusted with one.

import type { NRPRepositoryInfo } from "../resources/info.js";

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
}

const RULES: Readonly<Record<FlavourName, FlavourRules>> = {
  nrp: { name: "nrp", draftsFacets: [["record_status", "draft"]] },
  rdm: { name: "rdm", draftsFacets: [] },
};

/** The rules of a repository, from what discovery found (`isRdm`). */
export function flavourOf(repository: Pick<NRPRepositoryInfo, "isRdm">): FlavourRules {
  return repository.isRdm ? RULES.rdm : RULES.nrp;
}
