// What differs between the two kinds of repository the client speaks to: an NRP (oarepo)
// repository and a plain InvenioRDM. Every per-flavour decision lives in the table below, so that
// code elsewhere asks "what does this repository do?" instead of testing the flavour itself.

import type { NRPRepositoryInfo } from "../resources/info.js";

/** The kinds of repository: NRP (oarepo, with a well-known document) or plain InvenioRDM. */
export type FlavourName = "nrp" | "rdm";

/** The decisions that differ between flavours; one field per decision. */
export interface FlavourRules {
  /** Which flavour these rules are for. */
  readonly name: FlavourName;
  /**
   * Whether a structured (OpenSearch JSON) query can be `POST`ed to the global search endpoint.
   * oarepo-global-search serves `POST /api/search/`; plain InvenioRDM has no search that takes a
   * body, and `POST /api/records` there creates a draft, so a structured query is translated to
   * a query string (`q`) instead.
   */
  readonly structuredSearchBody: boolean;
  /**
   * Facets, besides `is_published=false`, that keep a search of the caller's records to drafts.
   * oarepo (NRP 12/13) has no `is_published` facet and ignores it; its drafts facet is
   * `record_status=draft` (every draft, also the edit of a published record). InvenioRDM filters
   * on `is_published` itself.
   */
  readonly draftsFacets: readonly (readonly [string, string])[];
}

const RULES: Readonly<Record<FlavourName, FlavourRules>> = {
  nrp: { name: "nrp", structuredSearchBody: true, draftsFacets: [["record_status", "draft"]] },
  rdm: { name: "rdm", structuredSearchBody: false, draftsFacets: [] },
};

/** The rules of a repository, from what discovery found (`isRdm`). */
export function flavourOf(repository: Pick<NRPRepositoryInfo, "isRdm">): FlavourRules {
  return repository.isRdm ? RULES.rdm : RULES.nrp;
}
