import type { RequestContext } from '../context.js';
import { readJson, sendJson } from '../http-io.js';
import { checkObjectName } from '../names.js';
import { applyFieldsPatch, fieldsFromPatch, fieldsOf, parseObjectFields } from '../object-fields.js';
import { objectResource, type StoredObject, type WritableObjectFields } from '../object-model.js';
import { writeObject } from '../object-writes.js';
import { checkPreconditions, type Preconditions, parsePreconditions } from '../preconditions.js';
import { conditionNotMet, GcsProblem, invalid, noSuchBucket, noSuchObject } from '../problem.js';
import type { RewriteState } from '../rewrite-tokens.js';

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
  const body = await readJson(ctx.req, { nullIsEmpty: true });
  const source = findSource(ctx, from.bucket, from.name);
  return writeCopy(ctx, source, to, copiedFields(source, body), parsePreconditions(ctx.query));
}

function writeCopy(
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

const MIB = 1024 * 1024;

/** The most components a composite object may have, as on GCS. */
const MAX_COMPONENTS = 1024;

/** Reads `maxBytesRewrittenPerCall`: GCS requires a positive integral multiple of 1 MiB. */
function parseMaxBytesPerCall(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n === 0 || n % MIB !== 0) {
    throw invalid(
      `Invalid value for maxBytesRewrittenPerCall: '${raw}'. It must be an integral multiple of ${MIB} (1 MiB).`,
    );
  }
  return n;
}

/**
 * `POST /b/{b}/o/{o}/rewriteTo/b/{db}/o/{do}`. The body (the destination's fields) may be absent,
 * empty or `null`. Without `maxBytesRewrittenPerCall`, or when the object is no larger, the copy is
 * made in one call (`done: true` with the `resource`). Otherwise each call "rewrites" that many
 * more bytes and answers `done: false` with `totalBytesRewritten`, `objectSize` and a
 * `rewriteToken` to send back (with the same source and destination); the call that reaches the
 * end writes the copy. The first call fixes the source generation and the destination's fields;
 * a later call finds the source still at that generation (else 404) and the destination's
 * preconditions still holding (else 412).
 */
export async function rewriteObject(
  ctx: RequestContext,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
): Promise<void> {
  ctx.notes.operation = 'objects.rewrite';
  const body = await readJson(ctx.req, { nullIsEmpty: true });
  const maxPerCall = parseMaxBytesPerCall(ctx.query.get('maxBytesRewrittenPerCall'));
  const token = ctx.query.get('rewriteToken') || undefined;
  let rewrite: RewriteState;
  if (token === undefined) {
    const source = findSource(ctx, from.bucket, from.name);
    const fields = copiedFields(source, body);
    const preconditions = parsePreconditions(ctx.query);
    if (maxPerCall === undefined || source.data.length <= maxPerCall) {
      const destination = await writeCopy(ctx, source, to, fields, preconditions);
      return sendRewriteDone(ctx, destination);
    }
    // Fail early, as GCS does, when the destination cannot be written.
    if (!ctx.store.bucket(to.bucket)) throw noSuchBucket();
    checkObjectName(to.name);
    checkPreconditions(ctx.store.object(to.bucket, to.name), preconditions);
    rewrite = ctx.rewrites.create({
      source: { bucket: from.bucket, name: from.name, generation: source.generation },
      destination: { ...to },
      fields,
      preconditions,
      objectSize: source.data.length,
    });
  } else {
    rewrite = continuedRewrite(ctx, token, from, to);
  }
  const source = ctx.store.object(rewrite.source.bucket, rewrite.source.name);
  if (!source || source.generation !== rewrite.source.generation) {
    ctx.rewrites.finish(rewrite.token);
    throw noSuchObject(rewrite.source.bucket, rewrite.source.name);
  }
  rewrite.rewritten = Math.min(rewrite.objectSize, rewrite.rewritten + (maxPerCall ?? rewrite.objectSize));
  if (rewrite.rewritten < rewrite.objectSize) {
    sendJson(
      ctx.res,
      200,
      {
        kind: 'storage#rewriteResponse',
        totalBytesRewritten: String(rewrite.rewritten),
        objectSize: String(rewrite.objectSize),
        done: false,
        rewriteToken: rewrite.token,
      },
      { fields: ctx.fields },
    );
    return;
  }
  ctx.rewrites.finish(rewrite.token);
  const destination = await writeCopy(
    ctx,
    source,
    rewrite.destination,
    rewrite.fields,
    rewrite.preconditions,
  );
  sendRewriteDone(ctx, destination);
}

/** The rewrite a `rewriteToken` continues: 410 when expired or finished, 400 when unknown or for other objects. */
function continuedRewrite(
  ctx: RequestContext,
  token: string,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
): RewriteState {
  const found = ctx.rewrites.lookup(token);
  if (found.state === 'expired') {
    throw new GcsProblem(410, 'gone', 'The rewrite token is no longer valid. Start the rewrite again.');
  }
  if (found.state === 'unknown') throw invalid(`Invalid rewrite token: '${token}'.`);
  const { rewrite } = found;
  const same =
    rewrite.source.bucket === from.bucket &&
    rewrite.source.name === from.name &&
    rewrite.destination.bucket === to.bucket &&
    rewrite.destination.name === to.name;
  if (!same) throw invalid('The rewrite token was issued for another source or destination.');
  return rewrite;
}

function sendRewriteDone(ctx: RequestContext, destination: StoredObject): void {
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

/**
 * `POST /b/{b}/o/{o}/compose` with `{ destination, sourceObjects: [{ name, generation?,
 * objectPreconditions?: { ifGenerationMatch } }] }`: concatenates 1 to 32 objects of the bucket.
 * Like GCS, the result has a `componentCount` (at most 1024, counting the components of composed
 * sources) and no `md5Hash`.
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
  const componentCount = sources.reduce((sum, s) => sum + (s.componentCount ?? 1), 0);
  if (componentCount > MAX_COMPONENTS) {
    throw invalid(
      `The composite object would have ${componentCount} components, more than the limit of ${MAX_COMPONENTS}.`,
    );
  }
  const object = await writeObject(ctx.store, {
    bucket,
    name,
    data: Buffer.concat(sources.map((s) => s.data)),
    fields: fieldsFromPatch(patch),
    preconditions: parsePreconditions(ctx.query),
    componentCount,
  });
  sendJson(ctx.res, 200, objectResource(object, ctx.origin), { fields: ctx.fields });
}

function composeSource(ctx: RequestContext, bucket: string, entry: unknown): StoredObject {
  if (entry === null || typeof entry !== 'object') throw invalid('Each source object must be an object.');
  const { name, generation, objectPreconditions } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') throw invalid('Each source object needs a name.');
  checkObjectName(name);
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
