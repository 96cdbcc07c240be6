export { abortableStream, abortedError, throwIfAborted } from './abort.js';
export { type BlobInfoFields, blobInfo } from './blob-info.js';
export { type NormalizedBody, normalizeBody, readAll, toReadable } from './body.js';
export { type ArgumentContext, checkCallOptions, checkSignal } from './call-options.js';
export { collectStream, forEachChunk } from './chunks.js';
export { DEFAULT_CONTENT_TYPE, MAX_CONTENT_TYPE_LENGTH, normalizeContentType } from './content-type.js';
export {
  type BlobStoreAdapter,
  type CopyRequest,
  type DefinedBlobStore,
  type DeleteRequest,
  defineBlobStore,
  type GetRequest,
  type ListRequest,
  type PutRequest,
  type SetMetadataRequest,
  type StoreCall,
  type StoreOperation,
} from './define-store.js';
export { type NormalizedDeleteOptions, normalizeDeleteOptions } from './delete-options.js';
export {
  ContentMismatchError,
  InvalidArgumentError,
  InvalidKeyError,
  isContentMismatch,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
} from './errors.js';
export { createFileSystemStore, type FileSystemStoreOptions } from './fs/store.js';
export { getBytes, getJson, getText, JSON_CONTENT_TYPE, putJson } from './helpers.js';
export {
  createIoWatch,
  DEFAULT_IO_TIMEOUTS,
  type IoTimeouts,
  type IoWatch,
  type IoWatchOptions,
  operationIoTimeouts,
  type RequestObserver,
  RequestScope,
  type ResolvedIoTimeouts,
  resolveIoTimeouts,
  TransferError,
  type TransferErrorContext,
  type TransferPhase,
  type WatchedRequestInfo,
  watchPipedRequest,
} from './io/index.js';
export {
  checkResolveArgs as checkJournalResolveArgs,
  checkSettleArgs as checkJournalSettleArgs,
  normalizeEntry as normalizeJournalEntry,
} from './journal/entry.js';
export {
  JournalError,
  JournalLockedError,
} from './journal/errors.js';
export type { FileJournal, FileJournalEvents, FileJournalStats } from './journal/events.js';
export {
  createFallbackJournal,
  type FallbackJournal,
  type FallbackJournalOptions,
} from './journal/fallback.js';
export { createFileJournal } from './journal/file.js';
export { DEFAULT_COMPACT_AFTER_BYTES, type FileJournalOptions } from './journal/file-options.js';
export { createMemoryJournal } from './journal/memory.js';
export {
  HIGH_WATER_RETENTION_MS,
  type IntentAppend,
  type Journal,
  type JournalEntry,
  type JournalHighWater,
  type JournalOp,
  type WriteLeaseAnswer,
} from './journal/types.js';
export { MAX_KEY_BYTES, prefixedKey, validateKey } from './keys.js';
export { commonPrefixOf } from './list-prefix.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { lowerCaseKeys, MAX_METADATA_BYTES, normalizeMetadata } from './metadata.js';
// The multi-cloud store: failover, journal-backed replication, repair, reconcile, drills.
export {
  type AmnesiaOptions,
  compareVersions,
  createMultiCloudStore,
  DRILL_DEFAULTS,
  type DrillOptions,
  type DrillReport,
  type DrillStep,
  type DrillTargetReport,
  defaultJournalDir,
  HybridClock,
  IntegrityError,
  MULTI_DEFAULTS,
  type MultiCloudBlobInfo,
  type MultiCloudCallOptions,
  type MultiCloudCounts,
  type MultiCloudEventName,
  type MultiCloudEvents,
  type MultiCloudListEntry,
  type MultiCloudListener,
  type MultiCloudOwnEvents,
  type MultiCloudStatus,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  type MultiCloudTargetStatus,
  type ParsedVersion,
  parseVersion,
  QuorumNotReachedError,
  RESERVED_PREFIX,
  type ReadOptions,
  type ReconcileChange,
  type ReconcileOptions,
  type ReconcileReport,
  type RepairFailure,
  type RepairOptions,
  type RepairReport,
  type RepairRunOptions,
  SHA256_KEY,
  type SpoolOptions,
  type UnresponsiveOptions,
  VERSION_KEY,
  type WriteLeaseOptions,
  type WriteMode,
} from './multi/index.js';
export { compareUtf8 } from './order.js';
export {
  DEFAULT_PRESIGN_EXPIRES_IN,
  MAX_PRESIGN_EXPIRES_IN,
  type NormalizedPresignOptions,
  normalizePresignOptions,
  type PresignedUrl,
  type Presigner,
  type PresignMethod,
  type PresignOptions,
  presignError,
} from './presign.js';
export {
  checkPutMd5,
  checkPutSize,
  ifMatchFailed,
  type NormalizedPutOptions,
  normalizeIfMatch,
  normalizeIfNoneMatch,
  normalizePutBody,
  normalizePutMd5,
  normalizePutOptions,
  normalizePutSize,
  putBodyMd5,
} from './put-options.js';
export { resolveRange, validateListOptions, validateRange } from './range.js';
export { sizeCheckedStream } from './size-check.js';
export { keyPrefixOption, storeNameOption } from './store-options.js';
export {
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type Checksums,
  type CopyOptions,
  type DeleteOptions,
  type GetOptions,
  type GetResult,
  isPrefixEntry,
  type ListEntry,
  type ListOptions,
  type OperationOptions,
  type PrefixEntry,
  type PutOptions,
  type SetMetadataOptions,
} from './types.js';
export { toleratingUnheardErrors } from './unheard-errors.js';
