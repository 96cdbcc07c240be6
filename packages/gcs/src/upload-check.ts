import type { File, FileMetadata } from '@google-cloud/storage';

/**
 * The check the GCS client's `validation: 'md5'` makes after an upload, made without hashing the
 * body a second time: the MD5 the server says it stored (`resource.md5Hash`) must be the one
 * computed from the bytes sent (`md5`, which the request also carried for GCS to check). On a
 * mismatch (or no MD5 in the answer) the object just written is deleted (only that generation)
 * and the error is the client's own: code `FILE_NO_UPLOAD` (`FILE_NO_UPLOAD_DELETE` when the
 * delete failed too, `MD5_NOT_AVAILABLE` when the answer had no MD5), as `classifyGcsError` knows
 * them.
 */
export async function checkUploadedMd5(file: File, resource: FileMetadata, md5: Buffer): Promise<void> {
  const stored = resource.md5Hash;
  if (stored === md5.toString('base64')) return;
  let code = stored === undefined ? 'MD5_NOT_AVAILABLE' : 'FILE_NO_UPLOAD';
  let message =
    stored === undefined
      ? 'The uploaded object has no MD5 to check the bytes sent against; it was deleted.'
      : 'The object the server stored does not match the bytes sent; it was deleted.';
  const errors: unknown[] = [];
  try {
    const generation = resource.generation;
    await file.delete(generation === undefined ? {} : { ifGenerationMatch: generation });
  } catch (err) {
    code = 'FILE_NO_UPLOAD_DELETE';
    message = 'The object the server stored does not match the bytes sent, and deleting it failed.';
    errors.push(err);
  }
  throw Object.assign(new Error(message), { code, errors });
}
