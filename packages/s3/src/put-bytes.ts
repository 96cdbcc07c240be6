import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { BlobInfo } from '@failover/storage';
import type { StoreContext } from './context.js';
import { unquoteEtag } from './info.js';
import { quoted, type WriteRequest, writeError, written } from './put-common.js';

/**
 * Bytes in one `PutObject` with their `Content-MD5` (the caller's MD5, or computed here), so S3
 * checks what it stores and the MD5 returned is the stored content's whatever the ETag is.
 */
export async function putBytes(
  ctx: StoreContext,
  request: WriteRequest,
  bytes: Uint8Array,
): Promise<BlobInfo> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The caller's MD5 (computed from these bytes) saves hashing them again; S3 checks it either way.
  const md5 =
    request.md5 === undefined ? createHash('md5').update(buffer).digest() : Buffer.from(request.md5, 'hex');
  try {
    const res = await ctx.client.send(
      new PutObjectCommand({
        Bucket: ctx.bucket,
        Key: request.objectKey,
        Body: buffer,
        ContentLength: buffer.byteLength,
        ContentMD5: md5.toString('base64'),
        ContentType: request.contentType,
        Metadata: request.metadata,
        IfNoneMatch: request.ifNoneMatch,
        IfMatch: quoted(request.ifMatch),
      }),
      { abortSignal: request.signal },
    );
    // S3 checked the Content-MD5 we sent, so the MD5 is the stored content's whatever the ETag is.
    return written(request, buffer.byteLength, unquoteEtag(res.ETag), md5.toString('hex'));
  } catch (err) {
    throw writeError(err, request);
  }
}
