import {
  normalizePresignOptions,
  type PresignedUrl,
  type PresignOptions,
  presignError,
} from '@failover/storage';
import type { ResolvedGcsOptions } from './options.js';

/**
 * `presign`: a V4 signed URL from the SDK's `file.getSignedUrl`. Signing needs a credential that
 * can sign: a service-account key (`client_email` + `private_key`, signed locally), or on Google
 * Cloud the runtime's service account with `iam.serviceAccounts.signBlob` (the SDK then asks the
 * IAM Credentials API: one request). A `PUT` signs its content type and metadata
 * (`x-goog-meta-*` extension headers); the uploader must send them ({@link PresignedUrl.headers}).
 */
export async function presignFile(
  o: ResolvedGcsOptions,
  key: string,
  options?: PresignOptions,
): Promise<PresignedUrl> {
  const p = normalizePresignOptions(key, options);
  const file = o.bucket.file(o.prefix + key);
  const headers: Record<string, string> = {};
  if (p.contentType !== undefined) headers['content-type'] = p.contentType;
  const extensionHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) extensionHeaders[`x-goog-meta-${k}`] = v;
  Object.assign(headers, extensionHeaders);
  const issued = Date.now();
  const expiresAt = new Date(issued + p.expiresIn * 1000);
  let url: string;
  try {
    [url] = await file.getSignedUrl({
      version: 'v4',
      action: p.method === 'GET' ? 'read' : 'write',
      expires: expiresAt,
      ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
      ...(Object.keys(extensionHeaders).length === 0 ? {} : { extensionHeaders }),
    });
  } catch (err) {
    throw presignError(o.name, key, err);
  }
  return { url, method: p.method, headers, expiresAt, target: o.name };
}
