/**
 * How a put is sent:
 *
 * - `'bytes'`: one `PutObject` with the bytes and their `Content-MD5`;
 * - `'stream'`: one `PutObject` with the stream as its body, sent as it is read;
 * - `'upload'`: a multipart upload of buffered parts (`multipartUpload`), or one `PutObject` of
 *   a buffer when the body fits in one part.
 */
export type PutPlan = 'bytes' | 'stream' | 'upload';

/** What {@link planPut} looks at: the body's shape and size, and the store's limits. */
export interface PutShape {
  readonly type: 'bytes' | 'stream';
  /** The body's size: a byte body's length, a stream's `size` hint (`undefined`: not given). */
  readonly size: number | undefined;
  readonly partSize: number;
  readonly multipartThreshold: number;
  /**
   * Whether the client sends a stream body byte for byte (no aws-chunked framing a server may not
   * know): see {@link sendsStreamsAsIs}.
   */
  readonly streamsAsIs: boolean;
}

/**
 * Decides how a put is sent (pure). A body of known size up to `multipartThreshold` goes in one
 * `PutObject`: bytes as they are; a stream of at least `partSize` bytes streamed, when the client
 * sends streams as they are. A smaller stream is buffered into one `PutObject` (it
 * must be read to its end before the request, so a stream that fails or runs long sends nothing).
 * Everything else is a multipart upload.
 */
export function planPut(shape: PutShape): PutPlan {
  const { size } = shape;
  if (size === undefined || size > shape.multipartThreshold) return 'upload';
  if (shape.type === 'bytes') return 'bytes';
  return shape.streamsAsIs && size >= shape.partSize ? 'stream' : 'upload';
}

/** The parts of an `S3Client`'s resolved config {@link sendsStreamsAsIs} reads. */
export interface ChecksumConfig {
  readonly requestChecksumCalculation?: (() => Promise<string>) | string | undefined;
  readonly isCustomEndpoint?: boolean | undefined;
}

/**
 * Whether the client sends a stream body as it is. With `requestChecksumCalculation:
 * 'WHEN_SUPPORTED'` (the SDK's default) it wraps a stream in aws-chunked framing with a trailing
 * checksum: AWS S3 reads it, but some S3-compatible servers store the framing as content. So a
 * stream is sent as it is when the client computes checksums only when required, or talks to AWS
 * itself (no custom endpoint). A config that cannot be read counts as "no".
 */
export async function sendsStreamsAsIs(config: ChecksumConfig): Promise<boolean> {
  if (config.isCustomEndpoint === false) return true;
  return (await requestChecksumMode(config)) === 'WHEN_REQUIRED';
}

/**
 * The client's `requestChecksumCalculation` (`'WHEN_SUPPORTED'`, the SDK's default, or
 * `'WHEN_REQUIRED'`), or `undefined` when its config cannot be read.
 */
export async function requestChecksumMode(config: ChecksumConfig): Promise<string | undefined> {
  const setting = config.requestChecksumCalculation;
  try {
    return typeof setting === 'function' ? await setting() : setting;
  } catch {
    return undefined;
  }
}
