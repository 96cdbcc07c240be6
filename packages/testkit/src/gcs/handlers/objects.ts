import type { RequestContext } from '../context.js';
import { globToRegExp } from '../glob.js';
import { readJson, sendEmpty, sendJson } from '../http-io.js';
import { type ListQuery, listPage, parseMaxResults } from '../listing.js';
import { applyFieldsPatch, fieldsOf, parseObjectFields } from '../object-fields.js';
import { objectResource, type StoredObject } from '../object-model.js';
import { checkPreconditions, parsePreconditions } from '../preconditions.js';
import { invalid, noSuchBucket, noSuchObject } from '../problem.js';
import { sendMedia } from './media.js';

/**
 * The live object a request names, honouring a `generation` parameter (only the live generation
 * exists here, so any other is a 404). 404 for a missing bucket or object.
 */
export function findObject(ctx: RequestContext, bucket: string, name: string): StoredObject {
  if (!ctx.store.bucket(bucket)) throw noSuchBucket();
  const object = ctx.store.object(bucket, name);
  if (!object) throw noSuchObject(bucket, name);
  const generation = ctx.query.get('generation');
  if (generation !== null && generation !== '') {
    if (!/^\d+$/.test(generation)) throw invalid(`Invalid value for generation: '${generation}'.`);
    if (Number(generation) !== object.generation) throw noSuchObject(bucket, name);
  }
  return object;
}

/** `GET /b/{b}/o/{o}`: metadata, or the content with `alt=media` (or on the download path). */
export function getObject(ctx: RequestContext, bucket: string, name: string, media: boolean): void {
  const wantsMedia = media || ctx.query.get('alt') === 'media';
  ctx.notes.operation = wantsMedia ? 'objects.download' : 'objects.get';
  const object = findObject(ctx, bucket, name);
  checkPreconditions(object, parsePreconditions(ctx.query), { read: true });
  if (wantsMedia) sendMedia(ctx, object);
  else sendJson(ctx.res, 200, objectResource(object, ctx.origin), { fields: ctx.fields });
}

/**
 * `PATCH /b/{b}/o/{o}` (merge: named fields change, metadata keys merge, `null` deletes) or
 * `PUT` (replace: unnamed fields are cleared). Bumps the metageneration.
 */
export async function updateObjectMetadata(
  ctx: RequestContext,
  bucket: string,
  name: string,
  mode: 'merge' | 'replace',
): Promise<void> {
  ctx.notes.operation = mode === 'merge' ? 'objects.patch' : 'objects.update';
  const body = await readJson(ctx.req);
  const patch = parseObjectFields(body);
  const object = findObject(ctx, bucket, name);
  checkPreconditions(object, parsePreconditions(ctx.query));
  const fields = applyFieldsPatch(fieldsOf(object), patch, mode);
  const updated: StoredObject = {
    ...object,
    contentType: fields.contentType ?? object.contentType,
    contentEncoding: fields.contentEncoding,
    contentDisposition: fields.contentDisposition,
    contentLanguage: fields.contentLanguage,
    cacheControl: fields.cacheControl,
    customTime: fields.customTime,
    metadata: fields.metadata ?? {},
    metageneration: object.metageneration + 1,
    updated: new Date().toISOString(),
  };
  await ctx.store.updateObject(updated);
  sendJson(ctx.res, 200, objectResource(updated, ctx.origin), { fields: ctx.fields });
}

/** `DELETE /b/{b}/o/{o}`: 204, or 404 when there is no such object. */
export async function deleteObject(ctx: RequestContext, bucket: string, name: string): Promise<void> {
  ctx.notes.operation = 'objects.delete';
  const object = findObject(ctx, bucket, name);
  checkPreconditions(object, parsePreconditions(ctx.query));
  await ctx.store.removeObject(bucket, name);
  sendEmpty(ctx.res, 204);
}

/**
 * `GET /b/{b}/o`: lists objects in UTF-8 order with `prefix`, `delimiter`, `maxResults`,
 * `pageToken`, `startOffset`, `endOffset`, `includeTrailingDelimiter` and `matchGlob`.
 */
export function listObjects(ctx: RequestContext, bucket: string): void {
  ctx.notes.operation = 'objects.list';
  if (!ctx.store.bucket(bucket)) throw noSuchBucket();
  const q = ctx.query;
  const glob = q.get('matchGlob');
  const query: ListQuery = {
    prefix: q.get('prefix') ?? '',
    delimiter: q.get('delimiter') || undefined,
    maxResults: parseMaxResults(q.get('maxResults')),
    pageToken: q.get('pageToken') || undefined,
    startOffset: q.get('startOffset') || undefined,
    endOffset: q.get('endOffset') || undefined,
    includeTrailingDelimiter: q.get('includeTrailingDelimiter') === 'true',
    matchGlob: glob ? globToRegExp(glob) : undefined,
  };
  // Soft-deleted objects are not kept: such a listing is always empty.
  const names = q.get('softDeleted') === 'true' ? [] : ctx.store.sortedNames(bucket);
  const page = listPage(names, query);
  const body: Record<string, unknown> = { kind: 'storage#objects' };
  if (page.names.length > 0) {
    body.items = page.names.map((n) => objectResource(ctx.store.object(bucket, n)!, ctx.origin));
  }
  if (page.prefixes.length > 0) body.prefixes = page.prefixes;
  if (page.nextPageToken !== undefined) body.nextPageToken = page.nextPageToken;
  sendJson(ctx.res, 200, body, { fields: ctx.fields });
}
