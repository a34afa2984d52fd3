// Curated public API: anything not exported here is private and may change without notice.

export { NRPInvenioClient } from "./client.js";
export type { FromConfigOptions } from "./client.js";
export { DEFAULTS } from "./core/options.js";
export type { NRPClientOptions, ResolvedClientOptions, RetryEvent } from "./core/options.js";
export { CONFIG_FILE_ENV, ENV, NRPConfig } from "./core/config.js";
export type { RepositoryConfig } from "./core/config.js";
export {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConflictError,
  GoneError,
  InternalServerError,
  InvalidRecordIdError,
  MethodNotAllowedError,
  NotFoundError,
  NRPError,
  PermissionDeniedError,
  PreconditionFailedError,
  RateLimitError,
  RequestRequiredError,
  UnknownModelError,
  UnprocessableEntityError,
  UnsupportedMediaTypeError,
} from "./core/errors.js";
export type {
  APIConnectionErrorInit,
  APIErrorInit,
  ConfigErrorDetails,
  FieldError,
  NRPErrorOptions,
} from "./core/errors.js";
export { Info, NRPModelInfo, NRPRepositoryInfo } from "./resources/info.js";
export type { InfoOptions } from "./resources/info.js";
export { NRPRecord, Records } from "./resources/records.js";
export type {
  CreateManyOptions,
  CreateManyResult,
  CreateRecordOptions,
  GetByIdOptions,
  PublishOptions,
  RecordActionOptions,
  RecordId,
  RecordReadOptions,
} from "./resources/records.js";
export { DEFAULT_DOI_RESOLVER_URL, recordGetter } from "./resources/record-getter.js";
export type { RecordGetterOptions } from "./resources/record-getter.js";
export { NRPFile, NRPRecordFiles } from "./resources/files.js";
export { NRPRecordRequestType, NRPRecordRequests } from "./resources/requests.js";
export { VERSION } from "./version.js";
