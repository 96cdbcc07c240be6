import type { RequestContext } from '../context.js';
import { readJson, sendJson } from '../http-io.js';
import { checkObjectName } from '../names.js';
import { fieldsFromPatch, parseObjectFields } from '../object-fields.js';
import { objectResource, type StoredObject } from '../object-model.js';
import { writeObject } from '../object-writes.js';
import { parsePreconditions } from '../preconditions.js';
import { conditionNotMet, invalid, noSuchBucket, noSuchObject } from '../problem.js';

/** The most components a composite object may have, as on GCS. */
const MAX_COMPONENTS = 1024;

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
