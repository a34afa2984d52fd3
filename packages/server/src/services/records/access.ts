import type { ResolvedModel } from "../../config/types.js";
import type { ParentRow, RecordStore } from "../../store/records.js";
import type { RequestStore } from "../../store/requests.js";
import type { User } from "../../store/users.js";
import { reviewingCommunity } from "../requests/review.js";

/**
 * Who may do what with a record, after the permission policies of an oarepo community workflow:
 * owners manage their own drafts, curators of the record's communities may read them, `admin`
 * is a superuser, and everyone reads published records.
 */
export class Access {
  private readonly records: RecordStore;
  private readonly requests: RequestStore | undefined;

  /**
   * With `requests` (InvenioRDM, or a model with `review`), the curators reviewing a draft of
   * `model` may read it as well.
   */
  constructor(
    records: RecordStore,
    requests?: RequestStore,
    private readonly model = "records",
  ) {
    this.records = records;
    this.requests = requests;
  }

  isAdmin(user: User | undefined): boolean {
    return user?.roles.includes("admin") === true;
  }

  isOwner(user: User | undefined, parent: ParentRow): boolean {
    return user !== undefined && user.id === parent.ownerId;
  }

  /** Curates one of the record's communities. */
  isCurator(user: User | undefined, parent: ParentRow): boolean {
    if (user === undefined) return false;
    return parent.communities.some(
      (id) => this.records.community(id)?.curators.includes(user.username) === true,
    );
  }

  /**
   * Curates the community an InvenioRDM draft is submitted to, while its review is created or
   * submitted (RDM's `SubmissionReviewer`); only a first version that was never published has
   * a review.
   */
  isReviewer(user: User | undefined, parent: ParentRow): boolean {
    if (user === undefined || this.requests === undefined || parent.nextDraftId === null) {
      return false;
    }
    const community = reviewingCommunity(
      { requests: this.requests },
      parent.nextDraftId,
      this.model,
    );
    if (community === undefined) return false;
    return this.records.community(community)?.curators.includes(user.username) === true;
  }

  canReadDraft(user: User | undefined, parent: ParentRow): boolean {
    return (
      this.isAdmin(user) ||
      this.isOwner(user, parent) ||
      this.isCurator(user, parent) ||
      this.isReviewer(user, parent)
    );
  }

  /** Update or delete a draft, edit a published record, start a new version. */
  canManage(user: User | undefined, parent: ParentRow): boolean {
    return this.isAdmin(user) || this.isOwner(user, parent);
  }

  /**
   * Publish directly: only on models with the `direct` policy (a curated model's owner needs a
   * `publish_draft` request, which a superuser does not).
   */
  canPublish(user: User | undefined, parent: ParentRow, model: ResolvedModel): boolean {
    return this.isAdmin(user) || (this.isOwner(user, parent) && model.publishing === "direct");
  }
}
