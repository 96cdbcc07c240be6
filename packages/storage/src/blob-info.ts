import type { BlobInfo, Checksums } from './types.js';

/** What {@link blobInfo} builds a {@link BlobInfo} from; the optional fields may be `undefined`. */
export interface BlobInfoFields {
  readonly key: string;
  readonly size: number;
  readonly metadata: Record<string, string>;
  readonly checksums: Checksums;
  readonly etag?: string | undefined;
  readonly contentType?: string | undefined;
  readonly lastModified?: Date | undefined;
}

/**
 * A {@link BlobInfo} from what a store learnt of an object: `etag`, `contentType` and
 * `lastModified` are set only when they have a value (an `undefined` one is left out, not set).
 */
export function blobInfo(fields: BlobInfoFields): BlobInfo {
  const info: BlobInfo = {
    key: fields.key,
    size: fields.size,
    metadata: fields.metadata,
    checksums: fields.checksums,
  };
  if (fields.etag !== undefined) info.etag = fields.etag;
  if (fields.contentType !== undefined) info.contentType = fields.contentType;
  if (fields.lastModified !== undefined) info.lastModified = fields.lastModified;
  return info;
}
