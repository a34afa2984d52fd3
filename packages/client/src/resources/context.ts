// The one context every resource object is built with: what it needs from the client that made
// it. Not part of the public API; resources that need less take a `Pick` of it.

import type { NRPInvenioClient } from "../client.js";
import type { HttpClient } from "../internal/http.js";
import type { Info } from "./info.js";

/**
 * What resources need from their client: the client itself (records hand it to their users), the
 * HTTP transport, and discovery (which says what the repository is and offers).
 */
export interface ResourceContext {
  client: NRPInvenioClient;
  http: HttpClient;
  info: Info;
}
