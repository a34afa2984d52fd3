// The public API every entry shares (the Node entry, `index.ts`, adds the configuration file):
// anything not exported here is private and may change without notice.

export { NRPInvenioClient } from "./client.js";
export type { FromConfigOptions } from "./client.js";
export { DEFAULTS } from "./core/options.js";
export type {
  NRPClientOptions,
  ResolvedClientOptions,
  RetryEvent,
  SignalOptions,
} from "./core/options.js";
export { CONFIG_FILE_ENV, ENV } from "./core/settings.js";
export type { RepositoryConfig } from "./core/settings.js";
export type { Json } from "./core/json.js";
export type { QueryValue } from "./core/query.js";
export {
  ActionNotAvailableError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ChecksumMismatchError,
  ConfigError,
  ConflictError,
  CorsRefusedError,
  DeadlineExceededError,
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
  ResponseTooLargeError,
  UnknownModelError,
  UnprocessableEntityError,
  UnsafeFileKeyError,
  UnsupportedMediaTypeError,
  UnsupportedQueryError,
  UploadError,
  ErrorCodes,
} from "./core/errors.js";
export type {
  APIConnectionErrorInit,
  APIErrorInit,
  ConfigErrorDetails,
  ErrorCode,
  FieldError,
  NRPErrorOptions,
  ResponseTooLargeErrorInit,
  UploadErrorInit,
  UploadPart,
  WithheldToken,
} from "./core/errors.js";
export { fromBlob, fromBytes, fromPath, fromStream, toUploadSource } from "./core/uploads.js";
export type { UploadInput, UploadSource } from "./core/uploads.js";
export { Info, NRPModelInfo, NRPRepositoryInfo } from "./resources/info.js";
export type { InfoOptions } from "./resources/info.js";
export { NRPRecord } from "./resources/records/record.js";
export { Records } from "./resources/records/collection.js";
export type {
  CreateManyOptions,
  CreateManyResult,
  CreateRecordOptions,
  DeleteRecordOptions,
  GetByIdOptions,
  NewVersionOptions,
  PublishOptions,
  RecordActionOptions,
  RecordId,
  RecordReadOptions,
} from "./resources/records/options.js";
export { DEFAULT_DOI_RESOLVER_URL, recordGetter } from "./resources/record-getter.js";
export type { RecordGetterOptions } from "./resources/record-getter.js";
export {
  DEFAULT_INIT_BATCH,
  DEFAULT_MANY_CONCURRENCY,
  NRPFile,
  NRPRecordFiles,
} from "./resources/files.js";
export { Page } from "./resources/page.js";
export type {
  FileActionOptions,
  OpenFileOptions,
  UploadManyItem,
  UploadManyOptions,
  UploadManyResult,
} from "./resources/files.js";
export {
  ADAPTIVE_UPLOAD_MAX_CONCURRENCY,
  DEFAULT_PART_SIZE,
  DEFAULT_UPLOAD_CONCURRENCY,
  defaultPartSize,
  MAX_PARTS,
  MIN_DEFAULT_PART_SIZE,
  MULTIPART_THRESHOLD,
  partBytes,
  planUpload,
} from "./core/transfers.js";
export type {
  DownloadFileOptions,
  PartPlan,
  ReadFileOptions,
  PlanUploadOptions,
  ResumeState,
  TransferProgress,
  UploadOptions,
  UploadPlan,
} from "./core/transfers.js";
export { checkFileKey, unsafeKeyReason } from "./core/file-keys.js";
export {
  NRPRecordRequest,
  NRPRecordRequestType,
  NRPRecordRequests,
  Requests,
  RequestsPage,
  ReviewPendingError,
  flattenPayload,
  restoreHierarchy,
  timelineEventKind,
} from "./resources/requests.js";
export type {
  CreateRequestOptions,
  RequestActionOptions,
  RequestSearchOptions,
  RequestStatus,
  TimelineEvent,
  TimelineEventKind,
} from "./resources/requests.js";
export {
  NRPSearchRequest,
  NRPSearchResponse,
  SCAN_PAGE_SIZE,
  SEARCH_WINDOW,
  projectFields,
  sortOption,
} from "./resources/search.js";
export type {
  ScanOptions,
  ScanProgress,
  SearchExecuteOptions,
  SearchOptions,
  SearchRequestState,
  SearchStatus,
  StructuredQuery,
} from "./resources/search.js";
export { VERSION } from "./version.js";
