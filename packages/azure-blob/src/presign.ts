import { BlobSASPermissions, type ContainerClient } from '@azure/storage-blob';
import {
  normalizePresignOptions,
  type PresignedUrl,
  type PresignOptions,
  prefixedKey,
  presignError,
} from '@failover/storage';

/**
 * `presign`: a service SAS URL from the SDK's `generateSasUrl`, signed locally with the account
 * key of the `StorageSharedKeyCredential` the container client was made with (a client made with
 * a token credential or a SAS URL cannot sign: a `StorageError` of kind `invalid` says so). `GET`
 * grants read (`r`); `PUT` grants create and write (`cw`) and needs the `x-ms-blob-type:
 * BlockBlob` header, listed in {@link PresignedUrl.headers} with the content type
 * (`x-ms-blob-content-type`) and metadata (`x-ms-meta-*`), which a SAS does not sign.
 */
export async function presignBlob(
  container: ContainerClient,
  prefix: string,
  target: string,
  key: string,
  options?: PresignOptions,
): Promise<PresignedUrl> {
  const p = normalizePresignOptions(key, options);
  const blob = container.getBlobClient(prefixedKey(prefix, key));
  const headers: Record<string, string> = {};
  if (p.method === 'PUT') {
    headers['x-ms-blob-type'] = 'BlockBlob';
    if (p.contentType !== undefined) headers['x-ms-blob-content-type'] = p.contentType;
    for (const [k, v] of Object.entries(p.metadata ?? {})) headers[`x-ms-meta-${k}`] = v;
  }
  const issued = Date.now();
  const expiresOn = new Date(issued + p.expiresIn * 1000);
  let url: string;
  try {
    url = await blob.generateSasUrl({
      permissions: BlobSASPermissions.parse(p.method === 'GET' ? 'r' : 'cw'),
      expiresOn,
    });
  } catch (err) {
    throw presignError(target, key, err);
  }
  return { url, method: p.method, headers, expiresAt: expiresOn, target };
}
