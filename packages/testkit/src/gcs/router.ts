import type { RequestContext } from './context.js';
import { deleteBucket, getBucket, insertBucket, listBuckets } from './handlers/buckets.js';
import { composeObject } from './handlers/compose.js';
import { copyToObject, moveObject } from './handlers/copy.js';
import { deleteObject, getObject, listObjects, updateObjectMetadata } from './handlers/objects.js';
import { cancelUpload, putUploadData } from './handlers/resumable.js';
import { rewriteObject } from './handlers/rewrite.js';
import { insertObject } from './handlers/uploads.js';
import { checkObjectName } from './names.js';
import type { ParsedPath } from './paths.js';
import { GcsProblem, noSuchSession, sessionExpired } from './problem.js';

const notFound = (): GcsProblem => new GcsProblem(404, 'notFound', 'Not Found');
const methodNotAllowed = (): GcsProblem => new GcsProblem(405, 'methodNotAllowed', 'Method Not Allowed');

/** Sends a request to its handler by API family, path shape and method. */
export async function route(ctx: RequestContext, path: ParsedPath): Promise<void> {
  const { family, segments } = path;
  const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
  if (segments[0] !== 'b') throw notFound();
  const bucket = segments[1];
  ctx.notes.bucket = bucket;

  if (family === 'upload') return routeUpload(ctx, method, segments);

  if (bucket === undefined) {
    if (family !== 'json') throw notFound();
    if (method === 'GET') return listBuckets(ctx);
    if (method === 'POST') return insertBucket(ctx);
    throw methodNotAllowed();
  }
  if (segments.length === 2) {
    if (family !== 'json') throw notFound();
    if (method === 'GET') return getBucket(ctx, bucket);
    if (method === 'DELETE') return deleteBucket(ctx, bucket);
    throw methodNotAllowed();
  }
  if (segments[2] !== 'o') throw notFound();
  if (segments.length === 3) {
    if (family !== 'json') throw notFound();
    if (method === 'GET') return listObjects(ctx, bucket);
    if (method === 'POST') {
      throw new GcsProblem(400, 'invalid', 'Object uploads go to /upload/storage/v1/b/{bucket}/o.');
    }
    throw methodNotAllowed();
  }

  const rest = segments.slice(3);
  const action = objectAction(rest);
  if (action) {
    if (family !== 'json') throw notFound();
    if (method !== 'POST') throw methodNotAllowed();
    ctx.notes.object = action.source;
    checkObjectName(action.source);
    const from = { bucket, name: action.source };
    switch (action.kind) {
      case 'rewriteTo':
        return rewriteObject(ctx, from, { bucket: action.bucket, name: action.name });
      case 'copyTo':
        return copyToObject(ctx, from, { bucket: action.bucket, name: action.name });
      case 'moveTo':
        return moveObject(ctx, bucket, action.source, action.name);
      case 'compose':
        return composeObject(ctx, bucket, action.source);
    }
  }

  // A plain object path. Names arrive as one encoded segment; raw slashes are joined back.
  const name = rest.join('/');
  ctx.notes.object = name;
  // A name GCS refuses (NUL, CR/LF, "..", ...) cannot exist: refuse it on every request.
  checkObjectName(name);
  if (family === 'download') {
    if (method === 'GET') return getObject(ctx, bucket, name, true);
    throw methodNotAllowed();
  }
  if (method === 'GET') return getObject(ctx, bucket, name, false);
  if (method === 'PATCH') return updateObjectMetadata(ctx, bucket, name, 'merge');
  if (method === 'PUT') return updateObjectMetadata(ctx, bucket, name, 'replace');
  if (method === 'DELETE') return deleteObject(ctx, bucket, name);
  throw methodNotAllowed();
}

type ObjectAction =
  | { kind: 'rewriteTo' | 'copyTo'; source: string; bucket: string; name: string }
  | { kind: 'moveTo'; source: string; name: string }
  | { kind: 'compose'; source: string };

/** Recognises `{o}/rewriteTo/b/{b}/o/{o}`, `{o}/copyTo/...`, `{o}/moveTo/o/{o}`, `{o}/compose`. */
function objectAction(rest: string[]): ObjectAction | undefined {
  const [source, verb, a, b, c, d] = rest;
  if (source === undefined) return undefined;
  if ((verb === 'rewriteTo' || verb === 'copyTo') && rest.length === 6 && a === 'b' && c === 'o') {
    return { kind: verb, source, bucket: b!, name: d! };
  }
  if (verb === 'moveTo' && rest.length === 4 && a === 'o') return { kind: 'moveTo', source, name: b! };
  if (verb === 'compose' && rest.length === 2) return { kind: 'compose', source };
  return undefined;
}

async function routeUpload(ctx: RequestContext, method: string, segments: string[]): Promise<void> {
  const bucket = segments[1];
  if (bucket === undefined || segments[2] !== 'o' || segments.length !== 3) throw notFound();
  const uploadId = ctx.query.get('upload_id');
  if (uploadId) {
    const found = ctx.sessions.lookup(uploadId);
    if (found.state === 'expired') throw sessionExpired();
    if (found.state === 'unknown') throw noSuchSession();
    const session = found.session;
    if (method === 'PUT' || method === 'POST') return putUploadData(ctx, session);
    if (method === 'DELETE') return cancelUpload(ctx, session);
    throw methodNotAllowed();
  }
  if (method === 'POST') return insertObject(ctx, bucket);
  throw methodNotAllowed();
}
