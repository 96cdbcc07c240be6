export { type NormalizedBody, normalizeBody, readAll, toReadable } from './body.js';
export {
  InvalidArgumentError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
} from './errors.js';
export { MAX_KEY_BYTES, validateKey } from './keys.js';
export { lowerCaseKeys, MAX_METADATA_BYTES, normalizeMetadata } from './metadata.js';
export { resolveRange, validateListOptions, validateRange } from './range.js';
export {
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type Checksums,
  type CopyOptions,
  type GetOptions,
  type GetResult,
  isPrefixEntry,
  type ListEntry,
  type ListOptions,
  type OperationOptions,
  type PrefixEntry,
  type PutOptions,
} from './types.js';
