/**
 * nrp-invenio-devserver: a local Invenio-compatible repository (oarepo 12 "nrp" or InvenioRDM 13
 * "rdm" flavour) with SQLite storage and programmable faults, for testing clients offline.
 */
export {
  startDevServer,
  type DevServer,
  type DevServerOptions,
  type DevServerTokens,
  type SeededUser,
} from "./server.js";
export type { Flavour } from "./services/service.js";
export {
  Faults,
  FaultRuleError,
  globToRegExp,
  parseFaultRule,
  type ActiveFaultRule,
  type DrawnFault,
  type FaultController,
  type FaultRule,
} from "./faults.js";
export type { RequestLogEntry } from "./http/request-log.js";
export type { ErrorBody, FieldError } from "./http/errors.js";
export { DevServerConfigError, loadConfigFile, resolveConfig } from "./config/load.js";
export {
  BUILTIN_USERS,
  DEFAULT_COMMUNITIES,
  DEFAULT_CONFIG,
  RDM_RECORDS_MODEL,
} from "./config/defaults.js";
export type {
  CommunityConfig,
  CorsConfig,
  DevServerConfig,
  MetadataSchema,
  ModelConfig,
  ModelFeature,
  PublishingPolicy,
  RepositoryConfig,
  ResolvedCommunity,
  ResolvedConfig,
  ResolvedModel,
  ResolvedUser,
  ResolvedVocabulary,
  SchemaFormat,
  SchemaType,
  UserConfig,
  VocabularyConfig,
  WorkflowConfig,
} from "./config/types.js";
export { newRecordId } from "./services/records/ids.js";
export { FILE_MESSAGES, MAX_FILES } from "./services/files/service.js";
export { parseRange, type ByteRange } from "./services/files/download.js";
export type { FileStatus, TransferInfo } from "./store/files.js";
export { signpostingLink } from "./services/records/landing.js";
export { testTlsFixtures, type PemSource, type TlsFixtures } from "./tls.js";
export { seedRecords, type SeedOptions, type SeedResult } from "./seed.js";
