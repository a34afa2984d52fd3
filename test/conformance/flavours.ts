// Where a repository flavour legitimately behaves differently, and why: the one place the
// conformance suite's expectations differ between plain InvenioRDM and NRP (oarepo). The tests
// read these rows; they never branch on the flavour themselves.

import type { Json } from "nrp-invenio-client";

/** `rdm`: plain InvenioRDM 13; `nrp`: an NRP (oarepo 12) repository. */
export type Flavour = "rdm" | "nrp";

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
  /** A resource type id both flavours know; also the facet the search tests filter on. */
  resourceType: "dataset" | "software";
  /** `YYYY-MM-DD`, or a broken value to provoke a lenient validation error. */
  publicationDate: string;
}

/** Who may delete a published record, how, and who gets a clear refusal. */
export interface PublishedDeletion {
  /** The user whose delete succeeds (after a curator's acceptance when `reviewed`). */
  by: Role;
  /** Whether the deletion waits for the community curator to accept a request. */
  reviewed: boolean;
  /** A user who may not delete the record and must get a clear error. */
  deniedTo: Role;
  /** The removal reason sent (`removalReason`). */
  reason: string;
}

/** Every expectation that depends on the flavour. */
export interface FlavourExpectations {
  /** Whether an ordinary deposit is created inside the target's community. */
  depositInCommunity: Row<boolean>;
  /** Whether publishing an ordinary deposit (first version, edit, new version) waits for review. */
  publishReviewed: Row<boolean>;
  /** The type of the request a curator reviews when a community draft is published. */
  reviewRequestType: Row<string>;
  publishedDeletion: Row<PublishedDeletion>;
  /** Whether file content answers a `Range` request with 206 (else 200 with the whole body). */
  rangeOnContent: Row<boolean>;
  /** What a syntactically broken `q` whose words match nothing gives: a 400, or 200 and no hits. */
  brokenQuery: Row<"rejected" | "empty">;
  /** The flavour's metadata for a deposit (each schema has its own required fields). */
  metadata: Row<(fields: DepositFields) => Json>;
  /**
   * Tests that cannot run against this flavour, by the name the suite gives them, with the reason
   * printed in the test's name. Empty: everything runs everywhere.
   */
  skips: Readonly<Record<string, string>>;
}

/** The expectations, one column per flavour. */
export const FLAVOURS: Readonly<Record<Flavour, FlavourExpectations>> = {
  rdm: {
    depositInCommunity: {
      value: false,
      why: "a plain RDM draft belongs to no community until a community-submission review is accepted",
    },
    publishReviewed: {
      value: false,
      why: "plain RDM publishes a draft outside any community at once (202)",
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
    rangeOnContent: {
      value: false,
      why: "RDM 13 ignores Range on file content: 200 with the whole body, no Accept-Ranges",
    },
    brokenQuery: {
      value: "empty",
      why:
        "RDM 13 does not refuse a syntactically broken q: it searches its words as plain text " +
        "(200), so one whose words match nothing has no hits",
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
  nrp: {
    depositInCommunity: {
      value: true,
      why: "oarepo's community workflows create every draft inside its community (parent.communities.default)",
    },
    publishReviewed: {
      value: true,
      why:
        "the deposit model is curated: publishing submits publish_draft / publish_new_version / " +
        "publish_changed_metadata to the community's curators",
    },
    reviewRequestType: {
      value: "publish_draft",
      why: "oarepo reviews a first publication through a publish_draft request",
    },
    publishedDeletion: {
      value: { by: "depositor", reviewed: true, deniedTo: "other", reason: "spam" },
      why:
        "oarepo: the owner asks with a delete_published_record request that the community's " +
        "curators accept; another user cannot ask",
    },
    rangeOnContent: {
      value: true,
      why: "NRP content answers Range with 206 (partial content), so a download resumes",
    },
    brokenQuery: {
      value: "rejected",
      why: "oarepo answers a syntactically broken q with 400",
    },
    metadata: {
      value: (f) => ({
        title: f.title,
        resource_type: f.resourceType,
        creators: [{ name: "Lovelace, Ada" }],
        publication_date: f.publicationDate,
      }),
      why: "the NRP dataset model keeps creators as names and resource_type as a plain string",
    },
    skips: {},
  },
};
