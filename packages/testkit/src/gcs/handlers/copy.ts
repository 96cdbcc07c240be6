import type { RequestContext } from '../context.js';
import { readJson, sendJson } from '../http-io.js';
import { applyFieldsPatch, fieldsFromPatch, fieldsOf, parseObjectFields } from '../object-fields.js';
import { objectResource, type StoredObject, type WritableObjectFields } from '../object-model.js';
import { writeObject } from '../object-writes.js';
import { checkPreconditions, type Preconditions, parsePreconditions } from '../preconditions.js';
import { invalid, noSuchBucket, noSuchObject } from '../problem.js';

/** The live source object of a copy, honouring `sourceGeneration` and `ifSource*` parameters. */
export function findSource(ctx: RequestContext, bucket: string, name: string): StoredObject {
  if (!ctx.store.bucket(bucket)) throw noSuchBucket();
  const source = ctx.store.object(bucket, name);
  if (!source) throw noSuchObject(bucket, name);
  const generation = ctx.query.get('sourceGeneration');
  if (generation !== null && generation !== '' && Number(generation) !== source.generation) {
    throw noSuchObject(bucket, name);
  }
  checkPreconditions(source, parsePreconditions(ctx.query, true));
  return source;
}

/**
 * The destination's fields: the source's, overridden by fields named in the request body; a
 * `metadata` map in the body replaces the source's map (its `null` values are dropped).
 */
export function copiedFields(source: StoredObject, body: Record<string, unknown>): WritableObjectFields {
  const patch = parseObjectFields(body);
  const { metadata, storageClass, ...rest } = patch;
  const fields = applyFieldsPatch(fieldsOf(source), rest, 'merge');
  if (typeof storageClass === 'string') fields.storageClass = storageClass;
  if (metadata === null) fields.metadata = {};
  else if (metadata !== undefined) fields.metadata = fieldsFromPatch({ metadata }).metadata ?? {};
  return fields;
}

async function copyObject(
  ctx: RequestContext,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
): Promise<StoredObject> {
  const body = await readJson(ctx.req, { nullIsEmpty: true });
  const source = findSource(ctx, from.bucket, from.name);
  return writeCopy(ctx, source, to, copiedFields(source, body), parsePreconditions(ctx.query));
}

export function writeCopy(
  ctx: RequestContext,
  source: StoredObject,
  to: { bucket: string; name: string },
  fields: WritableObjectFields,
  preconditions: Preconditions,
): Promise<StoredObject> {
  return writeObject(ctx.store, {
    bucket: to.bucket,
    name: to.name,
    data: source.data,
    fields,
    preconditions,
    ...(source.componentCount === undefined ? {} : { componentCount: source.componentCount }),
    hashes: { md5Hash: source.md5Hash, crc32c: source.crc32c },
  });
}

/** `POST /b/{b}/o/{o}/copyTo/b/{db}/o/{do}`: copies; answers with the new object. */
export async function copyToObject(
  ctx: RequestContext,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
): Promise<void> {
  ctx.notes.operation = 'objects.copy';
  const destination = await copyObject(ctx, from, to);
  sendJson(ctx.res, 200, objectResource(destination, ctx.origin), { fields: ctx.fields });
}

/** `POST /b/{b}/o/{o}/moveTo/o/{do}`: renames within a bucket (a new generation at the target). */
export async function moveObject(
  ctx: RequestContext,
  bucket: string,
  from: string,
  to: string,
): Promise<void> {
  ctx.notes.operation = 'objects.move';
  await readJson(ctx.req, { nullIsEmpty: true });
  const source = findSource(ctx, bucket, from);
  if (from === to) throw invalid('The source and destination object names must differ.');
  const destination = await writeObject(ctx.store, {
    bucket,
    name: to,
    data: source.data,
    fields: fieldsOf(source),
    preconditions: parsePreconditions(ctx.query),
    ...(source.componentCount === undefined ? {} : { componentCount: source.componentCount }),
    hashes: { md5Hash: source.md5Hash, crc32c: source.crc32c },
  });
  await ctx.store.removeObject(bucket, from);
  sendJson(ctx.res, 200, objectResource(destination, ctx.origin), { fields: ctx.fields });
}
