import type { RequestContext } from '../context.js';
import { readJson, sendJson } from '../http-io.js';
import { applyFieldsPatch, fieldsFromPatch, fieldsOf, parseObjectFields } from '../object-fields.js';
import { objectResource, type StoredObject, type WritableObjectFields } from '../object-model.js';
import { writeObject } from '../object-writes.js';
import { checkPreconditions, parsePreconditions } from '../preconditions.js';
import { conditionNotMet, invalid, noSuchBucket, noSuchObject } from '../problem.js';

/** The live source object of a copy, honouring `sourceGeneration` and `ifSource*` parameters. */
function findSource(ctx: RequestContext, bucket: string, name: string): StoredObject {
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
function copiedFields(source: StoredObject, body: Record<string, unknown>): WritableObjectFields {
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
  const body = await readJson(ctx.req);
  const source = findSource(ctx, from.bucket, from.name);
  const destination = await writeObject(ctx.store, {
    bucket: to.bucket,
    name: to.name,
    data: source.data,
    fields: copiedFields(source, body),
    preconditions: parsePreconditions(ctx.query),
    ...(source.componentCount === undefined ? {} : { componentCount: source.componentCount }),
    hashes: { md5Hash: source.md5Hash, crc32c: source.crc32c },
  });
  return destination;
}

/**
 * `POST /b/{b}/o/{o}/rewriteTo/b/{db}/o/{do}`: copies in one call (`done: true`, no
 * `rewriteToken`), whatever `maxBytesRewrittenPerCall` says.
 */
export async function rewriteObject(
  ctx: RequestContext,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
): Promise<void> {
  ctx.notes.operation = 'objects.rewrite';
  const destination = await copyObject(ctx, from, to);
  const size = String(destination.data.length);
  sendJson(
    ctx.res,
    200,
    {
      kind: 'storage#rewriteResponse',
      totalBytesRewritten: size,
      objectSize: size,
      done: true,
      resource: objectResource(destination, ctx.origin),
    },
    { fields: ctx.fields },
  );
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
  await readJson(ctx.req);
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

/**
 * `POST /b/{b}/o/{o}/compose` with `{ destination, sourceObjects: [{ name, generation?,
 * objectPreconditions?: { ifGenerationMatch } }] }`: concatenates 1 to 32 objects of the bucket.
 * Like GCS, the result has a `componentCount` and no `md5Hash`.
 */
export async function composeObject(ctx: RequestContext, bucket: string, name: string): Promise<void> {
  ctx.notes.operation = 'objects.compose';
  const body = await readJson(ctx.req);
  if (!ctx.store.bucket(bucket)) throw noSuchBucket();
  const list = body.sourceObjects;
  if (!Array.isArray(list) || list.length === 0) throw invalid('sourceObjects must list 1 to 32 objects.');
  if (list.length > 32)
    throw invalid('The number of source components provided (more than 32) exceeds the limit.');
  const sources = list.map((entry: unknown) => composeSource(ctx, bucket, entry));
  const destination = body.destination;
  const patch =
    destination !== null && typeof destination === 'object' && !Array.isArray(destination)
      ? parseObjectFields(destination as Record<string, unknown>)
      : {};
  const object = await writeObject(ctx.store, {
    bucket,
    name,
    data: Buffer.concat(sources.map((s) => s.data)),
    fields: fieldsFromPatch(patch),
    preconditions: parsePreconditions(ctx.query),
    componentCount: sources.reduce((sum, s) => sum + (s.componentCount ?? 1), 0),
  });
  sendJson(ctx.res, 200, objectResource(object, ctx.origin), { fields: ctx.fields });
}

function composeSource(ctx: RequestContext, bucket: string, entry: unknown): StoredObject {
  if (entry === null || typeof entry !== 'object') throw invalid('Each source object must be an object.');
  const { name, generation, objectPreconditions } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') throw invalid('Each source object needs a name.');
  const source = ctx.store.object(bucket, name);
  if (!source) throw noSuchObject(bucket, name);
  if (generation !== undefined && generation !== null && Number(generation) !== source.generation) {
    throw noSuchObject(bucket, name);
  }
  const ifGenerationMatch = (objectPreconditions as { ifGenerationMatch?: unknown } | undefined)
    ?.ifGenerationMatch;
  if (ifGenerationMatch !== undefined && Number(ifGenerationMatch) !== source.generation)
    throw conditionNotMet();
  return source;
}
