// Where a repository flavour legitimately behaves differently, and why: the one place the
// conformance suite's expectations differ between plain InvenioRDM and NRP (oarepo), with or
// without communities. The tests read these rows; they never branch on the flavour themselves.
//
// What the client reports the same way whichever way a server answers (a Range request honoured
// or not, a broken query refused or searched as text, how a model names its facets) is not a
// row: the suite observes the server and checks the client against what it saw.

import type { Json } from "nrp-invenio-client";

/** `rdm`: plain InvenioRDM 13; `nrp`: an NRP (oarepo) repository. */
export type Flavour = "rdm" | "nrp";

/**
 * A flavour as a target sets it up, the key of {@link FLAVOURS}: InvenioRDM with a community,
 * NRP with a community (the devserver's `nrp` flavour), or NRP without communities, whose drafts
 * name one of the target's workflows (an oarepo repository configured by workflows only).
 */
export type Setup = "rdm" | "nrp-communities" | "nrp-workflows";

/** The users of a journey (see TargetTokens). */
export type Role = "depositor" | "other" | "curator" | "admin";

/** One expectation and the reason the flavour has it. */
export interface Row<T> {
  value: T;
  why: string;
}

/** What a deposit's metadata says, independently of the flavour's schema. */
export interface DepositFields {
  title: string;
  /** A resource type id every flavour knows; also the facet the search tests filter on. */
  resourceType: "dataset" | "software";
  /** `YYYY-MM-DD`, or a broken value to provoke a lenient validation error. */
  publicationDate: string;
}

/**
 * Where a draft is created: outside any community, in the target's community, or in the
 * target's `workflows.auto` / `workflows.curated` workflow.
 */
export type Placement = "none" | "community" | "auto-workflow" | "curated-workflow";

/** The two kinds of deposit of a journey: the depositor's ordinary one, and one a curator reviews. */
export type DepositKind = "ordinary" | "curated";

/** How a kind of deposit is made and what publishing it takes. */
export interface DepositRule {
  placement: Placement;
  /** Whether publishing it (first version, edit, new version) waits for the curator's review. */
  reviewed: boolean;
}

/** Who may delete a published (ordinary) record, how, and who gets a clear refusal. */
export interface PublishedDeletion {
  /** The user whose delete succeeds (after a curator's acceptance when `reviewed`). */
  by: Role;
  /** Whether the deletion waits for the curator to accept a request. */
  reviewed: boolean;
  /** A user who may not delete the record and must get a clear error. */
  deniedTo: Role;
  /** The removal reason sent (`removalReason`). */
  reason: string;
}

/** Every expectation that depends on the flavour and its setup. */
export interface FlavourExpectations {
  /** The depositor's ordinary deposit. */
  ordinaryDeposit: Row<DepositRule>;
  /** The deposit whose publication a curator reviews (accepts, declines; the depositor cancels). */
  curatedDeposit: Row<DepositRule>;
  /** The type of the request a curator reviews when a curated draft is published. */
  reviewRequestType: Row<string>;
  publishedDeletion: Row<PublishedDeletion>;
  /** The flavour's metadata for a deposit (each schema has its own required fields). */
  metadata: Row<(fields: DepositFields) => Json>;
  /**
   * Tests that cannot run against this setup, by the name the suite gives them, with the reason
   * printed in the test's name. Empty: everything runs everywhere.
   */
  skips: Readonly<Record<string, string>>;
}

/** The metadata of the NRP models: the devserver's `datasets`, oarepo's `simple` (see below). */
const NRP_METADATA: Row<(fields: DepositFields) => Json> = {
  value: (f) => ({
    title: f.title,
    resource_type: f.resourceType,
    creators: [{ name: "Lovelace, Ada" }],
    publication_date: f.publicationDate,
  }),
  why:
    "the NRP models (the devserver's datasets, the oarepo target's simple) keep creators as " +
    "names and resource_type as a keyword string; only title is required",
};

const PUBLISH_DRAFT: Row<string> = {
  value: "publish_draft",
  why: "oarepo reviews a first publication through a publish_draft request",
};

/** The name of the search step that filters by the target's community. */
export const COMMUNITY_FILTER_STEP = "filters by community (library and CLI)";

/** The expectations, one column per setup. */
export const FLAVOURS: Readonly<Record<Setup, FlavourExpectations>> = {
  rdm: {
    ordinaryDeposit: {
      value: { placement: "none", reviewed: false },
      why: "a plain RDM draft belongs to no community and is published at once (202)",
    },
    curatedDeposit: {
      value: { placement: "community", reviewed: true },
      why: "a draft created for the community is published through its community-submission review",
    },
    reviewRequestType: {
      value: "community-submission",
      why: "RDM reviews a community draft through its draft review (PUT …/draft/review, submit-review)",
    },
    publishedDeletion: {
      value: { by: "admin", reviewed: false, deniedTo: "depositor", reason: "spam" },
      why:
        "RDM 13 lets only administrators delete a published record (DELETE …/delete with a " +
        "removal reason from its vocabulary, then 410 with a tombstone); the owner may not",
    },
    metadata: {
      value: (f) => ({
        title: f.title,
        resource_type: { id: f.resourceType },
        creators: [
          {
            person_or_org: { type: "personal", given_name: "Ada", family_name: "Lovelace" },
          },
        ],
        publication_date: f.publicationDate,
      }),
      why: "RDM requires resource_type (a vocabulary id), creators and publication_date to publish",
    },
    skips: {},
  },
  "nrp-communities": {
    ordinaryDeposit: {
      value: { placement: "community", reviewed: true },
      why:
        "oarepo's community workflows create every draft inside its community " +
        "(parent.communities.default), and the model is curated: publishing submits " +
        "publish_draft / publish_new_version / publish_changed_metadata to its curators",
    },
    curatedDeposit: {
      value: { placement: "community", reviewed: true },
      why: "the community's curators review every publication",
    },
    reviewRequestType: PUBLISH_DRAFT,
    publishedDeletion: {
      value: { by: "depositor", reviewed: true, deniedTo: "other", reason: "spam" },
      why:
        "oarepo: the owner asks with a delete_published_record request that the community's " +
        "curators accept; another user cannot ask",
    },
    metadata: NRP_METADATA,
    skips: {},
  },
  "nrp-workflows": {
    ordinaryDeposit: {
      value: { placement: "auto-workflow", reviewed: false },
      why:
        "the draft names the target's auto workflow (parent.workflow): publishing, editing and " +
        "new versions still go through requests, which that workflow accepts on submit",
    },
    curatedDeposit: {
      value: { placement: "curated-workflow", reviewed: true },
      why:
        "the draft names the target's curated workflow, which sends publish_draft / " +
        "publish_new_version / publish_changed_metadata to the curator",
    },
    reviewRequestType: PUBLISH_DRAFT,
    publishedDeletion: {
      value: { by: "depositor", reviewed: false, deniedTo: "other", reason: "spam" },
      why:
        "oarepo: the owner asks with a delete_published_record request (with a removal reason), " +
        "which the auto workflow accepts on submit; another user cannot ask",
    },
    metadata: NRP_METADATA,
    skips: {
      [COMMUNITY_FILTER_STEP]: "no communities: drafts name a workflow instead",
    },
  },
};
