import type { BlockBlobClient } from '@azure/storage-blob';
import { PreconditionFailedError } from '@failover/storage';
import { azureErrorCode, azureStatusOf } from './classify.js';

/**
 * A create-only put (`If-None-Match: *`) refused with `BlobAlreadyExists` where no blob can be read:
 * the name holds uncommitted blocks only (a staged upload cut before its commit). Azure discards
 * them at Put Blob, so the put goes through there; azurite refuses it, and so a repair copy to that
 * name failed forever while every read said it was not there. They are deleted here (the blob has
 * no committed version to lose). True when they were: the put may be sent again. Anything else
 * (a committed blob, a look or delete that fails): false, and the caller's error stands.
 */
export async function dropUncommittedOnly(blob: BlockBlobClient, err: unknown): Promise<boolean> {
  if (!(err instanceof PreconditionFailedError) || azureErrorCode(err.cause) !== 'BlobAlreadyExists')
    return false;
  try {
    await blob.getProperties();
    return false; // a committed blob: the condition holds
  } catch (look) {
    if (azureStatusOf(look) !== 404) return false;
  }
  try {
    await blob.delete();
    return true;
  } catch {
    return false;
  }
}
