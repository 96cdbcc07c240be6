import type { RequestContext } from '../context.js';
import { readJson, sendJson } from '../http-io.js';
import { checkObjectName } from '../names.js';
import { objectResource, type StoredObject } from '../object-model.js';
import { checkPreconditions, parsePreconditions } from '../preconditions.js';
import { GcsProblem, invalid, noSuchBucket, noSuchObject } from '../problem.js';
import type { RewriteState } from '../rewrite-tokens.js';
import { copiedFields, findSource, writeCopy } from './copy.js';

const MIB = 1024 * 1024;

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
