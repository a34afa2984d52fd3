import type { ResolvedConfig, ResolvedModel } from "../config/types.js";
import type { RequestContext } from "../http/context.js";
import type { Faults } from "../faults.js";
import type { RequestLogEntry } from "../http/request-log.js";
import type { FileStore } from "../store/files.js";
import type { Router } from "../http/router.js";
import type { RecordStore } from "../store/records.js";
import type { RequestStore } from "../store/requests.js";
import type { RecordSearch } from "../store/search.js";
import type { Store } from "../store/store.js";
import type { UserStore } from "../store/users.js";
import type { UrlSigner } from "./files/storage.js";
import type { FlavourTraits } from "./flavour.js";

/** Which real server the devserver imitates. */
export type Flavour = "nrp" | "rdm";

/** The shared state a service's handlers work with. */
export interface ServiceContext {
  config: ResolvedConfig;
  flavour: Flavour;
  /** How the imitated server behaves where the flavours differ (with option overrides applied). */
  traits: FlavourTraits;
  store: Store;
  users: UserStore;
  /** Parents, records, drafts, communities and persistent identifiers. */
  records: RecordStore;
  /** Requests, their events and removed records. */
  requests: RequestStore;
  /** File rows and their content blobs. */
  files: FileStore;
  /** The search collections' queries over records and drafts. */
  search: RecordSearch;
  /** Set when downloads are redirected to the storage origin (`redirectDownloads`). */
  storage: { signer: UrlSigner; origin: () => string } | undefined;
  faults: Faults;
  requestLog: RequestLogEntry[];
  /**
   * The requests about record `id` that the caller may read, as `?expand` embeds them
   * (`expanded.requests`); set by the requests service of the `nrp` flavour.
   */
  expandRequests?: (
    ctx: RequestContext,
    model: ResolvedModel,
    id: string,
  ) => Record<string, unknown>[];
}

/** A service registers its routes; each API capability (discovery, search, …) is one service. */
export type Service = (router: Router, app: ServiceContext) => void;
