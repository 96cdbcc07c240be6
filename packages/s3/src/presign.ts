import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  normalizePresignOptions,
  type PresignedUrl,
  type PresignOptions,
  prefixedKey,
  presignError,
  StorageError,
} from '@failover/storage';
import type { StoreContext } from './context.js';

/** Headers the SDK's default checksums add to a PUT; signed into a URL they would pin the empty body's CRC. */
const CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/i;

type GetSignedUrl = typeof import('@aws-sdk/s3-request-presigner').getSignedUrl;
let presigner: Promise<GetSignedUrl> | undefined;

/** Loads `@aws-sdk/s3-request-presigner` (an optional peer) on first use. */
function loadPresigner(target: string, key: string): Promise<GetSignedUrl> {
  presigner ??= import('@aws-sdk/s3-request-presigner').then(
    (m) => m.getSignedUrl,
    (err: unknown) => {
      presigner = undefined;
      throw new StorageError(
        'invalid',
        `Cannot presign ${JSON.stringify(key)} on ${target}: install @aws-sdk/s3-request-presigner (same version range as @aws-sdk/client-s3)`,
        { key, target, cause: err },
      );
    },
  );
  return presigner;
}

/**
 * `presign`: a SigV4 query-signed URL from `getSignedUrl` of `@aws-sdk/s3-request-presigner`,
 * made locally with the client's credentials, region and endpoint. A `PUT` signs its content type
 * and metadata as headers the uploader must send ({@link PresignedUrl.headers}) and leaves out
 * the SDK's default request checksum (which would be the empty body's).
 */
export async function presignObject(
  ctx: StoreContext,
  key: string,
  options?: PresignOptions,
): Promise<PresignedUrl> {
  const o = normalizePresignOptions(key, options);
  const objectKey = prefixedKey(ctx.prefix, key);
  const getSignedUrl = await loadPresigner(ctx.name, key);
  const headers: Record<string, string> = {};
  const signed = new Set<string>();
  let command: GetObjectCommand | PutObjectCommand;
  if (o.method === 'GET') {
    command = new GetObjectCommand({ Bucket: ctx.bucket, Key: objectKey });
  } else {
    if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    for (const [k, v] of Object.entries(o.metadata ?? {})) headers[`x-amz-meta-${k}`] = v;
    for (const h of Object.keys(headers)) signed.add(h);
    const put = new PutObjectCommand({
      Bucket: ctx.bucket,
      Key: objectKey,
      ...(o.contentType === undefined ? {} : { ContentType: o.contentType }),
      ...(o.metadata === undefined ? {} : { Metadata: { ...o.metadata } }),
    });
    put.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        for (const h of Object.keys(request.headers ?? {})) {
          if (CHECKSUM_HEADER.test(h)) delete request.headers![h];
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'failoverPresignNoChecksum' },
    );
    command = put;
  }
  const issued = Date.now();
  let url: string;
  try {
    url = await getSignedUrl(ctx.client, command, {
      expiresIn: o.expiresIn,
      signableHeaders: signed,
      unhoistableHeaders: signed,
    });
  } catch (err) {
    throw presignError(ctx.name, key, err);
  }
  return {
    url,
    method: o.method,
    headers,
    expiresAt: new Date(issued + o.expiresIn * 1000),
    target: ctx.name,
  };
}
