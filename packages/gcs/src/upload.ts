import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NormalizedBody } from '@failover/storage';
import type { CreateWriteStreamOptions, File, FileMetadata } from '@google-cloud/storage';

/** What one upload needs, already validated. */
export interface UploadRequest {
  readonly file: File;
  readonly body: NormalizedBody;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly ifNoneMatch: boolean;
  /** The caller's size hint for a stream body. */
  readonly sizeHint: number | undefined;
  readonly resumableThreshold: number;
  readonly chunkSize: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Whether an upload goes through a resumable session rather than one multipart request. */
export function isResumable(req: Pick<UploadRequest, 'body' | 'sizeHint' | 'resumableThreshold'>): boolean {
  const size = req.body.type === 'bytes' ? req.body.bytes.byteLength : req.sizeHint;
  return size === undefined || size >= req.resumableThreshold;
}

/**
 * Uploads a body and resolves with the object resource the server answered with.
 *
 * Both paths use `file.createWriteStream` (what `file.save` uses inside), fed by
 * `stream.pipeline`, so the caller's signal destroys the upload; the client's crc32c validation
 * stays on, and byte bodies also carry their MD5 so the server checks it. `ifNoneMatch` becomes
 * `ifGenerationMatch: 0`. Rejects with the SDK's error (or the pipeline's `AbortError`).
 */
export async function uploadObject(req: UploadRequest): Promise<FileMetadata> {
  const resumable = isResumable(req);
  const resource: FileMetadata = { contentType: req.contentType, metadata: { ...req.metadata } };
  if (req.body.type === 'bytes') {
    resource.md5Hash = createHash('md5').update(req.body.bytes).digest('base64');
  }
  const options: CreateWriteStreamOptions = {
    resumable,
    validation: 'crc32c',
    contentType: req.contentType,
    metadata: resource,
  };
  if (req.ifNoneMatch) options.preconditionOpts = { ifGenerationMatch: 0 };
  if (resumable && req.chunkSize !== undefined) options.chunkSize = req.chunkSize;

  const source =
    req.body.type === 'bytes'
      ? Readable.from([Buffer.from(req.body.bytes.buffer, req.body.bytes.byteOffset, req.body.bytes.byteLength)])
      : req.body.stream;
  const sink = req.file.createWriteStream(options);
  await pipeline(source, sink, req.signal ? { signal: req.signal } : {});
  return req.file.metadata;
}
