import type { RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http-io.js';
import { parseMaxResults, simplePage } from '../listing.js';
import { checkBucketName } from '../names.js';
import { bucketResource } from '../object-model.js';
import { GcsProblem, invalid, noSuchBucket } from '../problem.js';

function requireProject(ctx: RequestContext): void {
  if (!ctx.query.get('project')) throw new GcsProblem(400, 'required', 'Required parameter: project');
}

/** `POST /b?project=P` with `{ name }`: creates a bucket (409 when it exists). */
export async function insertBucket(ctx: RequestContext): Promise<void> {
  ctx.notes.operation = 'buckets.insert';
  const body = await readJson(ctx.req);
  requireProject(ctx);
  const name = body.name;
  if (name === undefined || name === '') throw new GcsProblem(400, 'required', 'Required');
  if (typeof name !== 'string') throw invalid('Invalid value for name: must be a string.');
  ctx.notes.bucket = name;
  checkBucketName(name);
  const location = typeof body.location === 'string' ? body.location.toUpperCase() : 'US';
  const storageClass = typeof body.storageClass === 'string' ? body.storageClass : 'STANDARD';
  const bucket = { name, timeCreated: new Date().toISOString(), location, storageClass };
  if (!(await ctx.store.addBucket(bucket))) {
    throw new GcsProblem(
      409,
      'conflict',
      'Your previous request to create the named bucket succeeded and you already own it.',
    );
  }
  sendJson(ctx.res, 200, bucketResource(bucket, ctx.origin), { fields: ctx.fields });
}

/** `GET /b/{bucket}`: the bucket's metadata (404 when missing). */
export function getBucket(ctx: RequestContext, name: string): void {
  ctx.notes.operation = 'buckets.get';
  const bucket = ctx.store.bucket(name);
  if (!bucket) throw noSuchBucket();
  sendJson(ctx.res, 200, bucketResource(bucket, ctx.origin), { fields: ctx.fields });
}

/** `GET /b?project=P[&prefix=][&maxResults=][&pageToken=]`: the buckets, by name. */
export function listBuckets(ctx: RequestContext): void {
  ctx.notes.operation = 'buckets.list';
  requireProject(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const all = ctx.store.buckets().filter((b) => b.name.startsWith(prefix));
  const maxResults = parseMaxResults(ctx.query.get('maxResults'));
  const page = simplePage(
    all.map((b) => b.name),
    maxResults,
    ctx.query.get('pageToken') || undefined,
  );
  const items = page.keys.map((key) => bucketResource(ctx.store.bucket(key)!, ctx.origin));
  const body: Record<string, unknown> = { kind: 'storage#buckets' };
  if (items.length > 0) body.items = items;
  if (page.nextPageToken !== undefined) body.nextPageToken = page.nextPageToken;
  sendJson(ctx.res, 200, body, { fields: ctx.fields });
}

/** `DELETE /b/{bucket}`: deletes an empty bucket (409 when it holds objects, 404 when missing). */
export async function deleteBucket(ctx: RequestContext, name: string): Promise<void> {
  ctx.notes.operation = 'buckets.delete';
  if (!ctx.store.bucket(name)) throw noSuchBucket();
  if (ctx.store.objectCount(name) > 0) {
    throw new GcsProblem(409, 'conflict', 'The bucket you tried to delete is not empty.');
  }
  await ctx.store.removeBucket(name);
  sendEmpty(ctx.res, 204);
}
