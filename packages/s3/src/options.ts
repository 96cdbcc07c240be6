import type { S3Client } from '@aws-sdk/client-s3';
import { type OptionsReader, readOptions } from '@failover/core';
import {
  type IoTimeouts,
  keyPrefixOption,
  MAX_KEY_BYTES,
  type ResolvedIoTimeouts,
  resolveIoTimeouts,
} from '@failover/storage';

/** The smallest part S3 accepts in a multipart upload (every part but the last): 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The largest part S3 accepts in a multipart upload: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/**
 * Default part size of multipart uploads: 5 MiB, S3's smallest and lib-storage's default. A
 * stream of unknown size starts with it and doubles it every 1,000 parts.
 */
export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
/** Default number of parts uploaded at once. */
export const DEFAULT_QUEUE_SIZE = 2;
/** The largest object S3 accepts in one PutObject: 5 GiB. */
export const MAX_PUT_OBJECT_SIZE = 5 * 1024 * 1024 * 1024;
/**
 * Default {@link S3StoreOptions.multipartThreshold}: 100 MiB, the size from which AWS advises
 * multipart uploads.
 */
export const DEFAULT_MULTIPART_THRESHOLD = 100 * 1024 * 1024;
/** The most parts uploaded at once that the store allows. */
export const MAX_QUEUE_SIZE = 32;

/**
 * How `ifNoneMatch: '*'` and `ifMatch` are enforced.
 *
 * - `'native'` (default): the write carries S3's `If-None-Match: *` (or `If-Match`) and S3 refuses
 *   it atomically when an object exists (or is not that version): conditional writes, supported by
 *   S3 since 2024.
 * - `'emulated'`: for S3-compatible servers that ignore `If-None-Match` and `If-Match` on writes
 *   (plain s3rver does): a `HeadObject` runs before the write, writes to the same key through this
 *   store instance are serialized, and the write still carries the header. Not atomic against other processes
 *   or other store instances: two writers elsewhere can both see "missing" and both write.
 */
export type ConditionalWrites = 'native' | 'emulated';

/** Options of {@link createS3Store}. */
export interface S3StoreOptions {
  /** The S3 client you already configured (region, credentials, endpoint, retries, checksums). */
  client: S3Client;
  /** The bucket (or access point ARN) holding the objects. */
  bucket: string;
  /**
   * A key prefix inside the bucket, e.g. `app/`. Keys given to and returned by the store never
   * include it. Default: none.
   */
  prefix?: string;
  /** The store's name in errors, logs and events. Default `s3:<bucket>` (plus `/<prefix>`). */
  name?: string;
  /**
   * Part size of multipart uploads in bytes, 5 MiB to 5 GiB. Default 5 MiB.
   *
   * - A body of known size takes parts of this size, or larger ones when it would need more than
   *   S3's 10,000 parts.
   * - A stream of unknown size starts with it and doubles it every 1,000 parts (up to 5 GiB), so
   *   such a stream can be as large as S3 allows (about 4.9 TiB from 5 MiB parts) while its first
   *   5 GiB go in parts of this size.
   * - A multipart upload of a stream holds `queueSize` parts in memory: 10 MiB with the defaults,
   *   for the first 5 GiB.
   */
  partSize?: number;
  /**
   * Bodies of known size up to this many bytes (0 to 5 GiB, S3's limit for one `PutObject`) are
   * written with one `PutObject`; larger ones, and streams of unknown size, go through a multipart
   * upload of `partSize` parts, `queueSize` at once. Default 100 MiB
   * ({@link DEFAULT_MULTIPART_THRESHOLD}).
   *
   * - A byte body goes in one `PutObject` with its `Content-MD5`.
   * - A stream with a `size` of at least `partSize` is **streamed** in one `PutObject` as it is
   *   read (no part buffers: memory stays flat), its last byte held back until the stream has
   *   ended with exactly `size` bytes, so S3 never completes an object from a stream that then
   *   fails or runs long. A smaller one is read into memory first. Only where the client sends a
   *   stream as it is: its `requestChecksumCalculation` is `'WHEN_REQUIRED'`, or it talks to AWS
   *   itself (no custom `endpoint`). An S3-compatible server reached with the SDK's default
   *   checksums would get the body wrapped in aws-chunked framing, which some servers store as
   *   content: such streams go multipart, whose parts are buffers.
   * - The trade-off: a streamed `PutObject` that fails midway is not retried by the SDK (a stream
   *   cannot be sent again) and a retry sends the whole object again, where a multipart upload's
   *   SDK retries resend one part. The multi-cloud store resends from its replay copy either way.
   *   `0` sends every stream (and every byte body but an empty one) multipart.
   */
  multipartThreshold?: number;
  /** Parts uploaded at once, 1 to 32. A multipart upload of a stream holds `partSize * queueSize` bytes of part buffers. Default 2. */
  queueSize?: number;
  /** How `ifNoneMatch: '*'` and `ifMatch` are enforced; see {@link ConditionalWrites}. Default `'native'`. */
  conditionalWrites?: ConditionalWrites;
  /**
   * Bounds on every HTTP request the store sends through `client`: connecting (default 1 s),
   * waiting for the response headers once the request is sent (default 2 s), and silence while
   * body bytes are due in either direction (default 2 s). Progress-based: a large upload or
   * download that keeps moving is never cut. Enforced around each operation without changing
   * the client's own settings; each call can override them with its `timeouts` option. See
   * {@link IoTimeouts}.
   */
  timeouts?: IoTimeouts;
}

/** Options after validation, with defaults applied. */
export interface ResolvedS3StoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly name: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly multipartThreshold: number;
  readonly conditionalWrites: ConditionalWrites;
  readonly timeouts: ResolvedIoTimeouts;
}

/** Validates {@link S3StoreOptions} and applies defaults; throws `InvalidOptionError` naming the option. */
export function resolveOptions(options: S3StoreOptions): ResolvedS3StoreOptions {
  const r = readOptions(options);
  const client = r.check('client', isS3Client, 'an S3Client from @aws-sdk/client-s3', { required: true });
  const bucket = r.string('bucket', {
    pattern: BUCKET,
    rule: 'a bucket name (or access point ARN) without white space or control characters',
    required: true,
  });
  const prefix = resolvePrefix(r);
  const name = r.string('name', { default: `s3:${bucket}${prefix ? `/${prefix}` : ''}` });
  const partSize = r.int('partSize', {
    min: MIN_PART_SIZE,
    minLabel: "5 MiB, S3's smallest part",
    max: MAX_PART_SIZE,
    maxLabel: '5 GiB',
    default: DEFAULT_PART_SIZE,
  });
  const queueSize = r.int('queueSize', { min: 1, max: MAX_QUEUE_SIZE, default: DEFAULT_QUEUE_SIZE });
  const multipartThreshold = r.int('multipartThreshold', {
    min: 0,
    max: MAX_PUT_OBJECT_SIZE,
    maxLabel: "5 GiB, S3's largest PutObject",
    default: DEFAULT_MULTIPART_THRESHOLD,
  });
  const conditionalWrites = r.oneOf('conditionalWrites', CONDITIONAL_WRITES, { default: 'native' });
  const timeouts = resolveIoTimeouts(r.value('timeouts'), r.at('timeouts'));
  r.done();
  return {
    client,
    bucket,
    prefix,
    name,
    partSize,
    queueSize,
    multipartThreshold,
    conditionalWrites,
    timeouts,
  };
}

const CONDITIONAL_WRITES: readonly ConditionalWrites[] = ['native', 'emulated'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const BUCKET = /^[^\s\u0000-\u001f\u007f-\u009f]+$/;

function isS3Client(value: unknown): value is S3Client {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { send?: unknown }).send === 'function' &&
    typeof (value as { config?: unknown }).config === 'object'
  );
}

/**
 * The `prefix` option: the key rules every cloud store shares (`keyPrefixOption`), then S3's own:
 * no leading `/`, no `.` or `..` segment, no `//`, and room for a key after it. Refusals name the
 * option's full path (`stores.aws.prefix` in a config file).
 */
function resolvePrefix(r: OptionsReader): string {
  const prefix = keyPrefixOption(r.value('prefix'), r.at('prefix'));
  if (prefix.startsWith('/')) r.refuse('prefix', 'must not start with "/"');
  if (Buffer.byteLength(prefix, 'utf8') >= MAX_KEY_BYTES) {
    r.refuse('prefix', `must be shorter than ${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  const segments = prefix.split('/');
  // A trailing "/" leaves one empty last segment; any other empty segment is a "//".
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s === '.' || s === '..') r.refuse('prefix', 'must not contain "." or ".." segments');
    if (s === '' && i < segments.length - 1) r.refuse('prefix', 'must not contain "//"');
  }
  return prefix;
}
