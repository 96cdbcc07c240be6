import type { RequestContext } from '../context.js';
import { readBody, sendEmpty, sendJson } from '../http-io.js';
import { objectResource } from '../object-model.js';
import { parseGoogHash, verifyHashes, writeObject } from '../object-writes.js';
import { GcsProblem, invalid, noSuchSession, sessionExpired } from '../problem.js';
import type { GcsObjectResource } from '../types.js';
import type { UploadSession } from '../upload-sessions.js';
import { tooLarge } from './uploads.js';

/** A parsed `Content-Range` of a resumable upload request. */
type UploadRange =
  // `bytes */TOTAL` or `bytes */*`: a status query (or, with TOTAL, a request to finish).
  | { kind: 'status'; total: number | undefined }
  // `bytes A-B/TOTAL`, `bytes A-B/*`: content from byte A to B. `bytes A-*/*` (or no header):
  // content from byte A to the end of the object (`toEnd`).
  | { kind: 'data'; start: number; end: number | undefined; total: number | undefined; toEnd: boolean };

function parseUploadRange(header: string | undefined): UploadRange {
  // No Content-Range: the body is the whole object.
  if (header === undefined || header.trim() === '') {
    return { kind: 'data', start: 0, end: undefined, total: undefined, toEnd: true };
  }
  const match = /^\s*bytes\s+(?:(\*)|(\d+)-(\d+|\*|-1))\/(\d+|\*)\s*$/i.exec(header);
  if (!match) throw invalid(`Invalid Content-Range: '${header}'.`);
  const total = match[4] === '*' ? undefined : Number(match[4]);
  if (match[1] === '*') return { kind: 'status', total };
  const start = Number(match[2]);
  const end = match[3] === '*' ? undefined : Number(match[3]);
  // `bytes A-(A-1)/A`: an empty request (what a client sends to finish a 0-byte chunked upload).
  if (end !== undefined && end === start - 1) return { kind: 'data', start, end, total, toEnd: false };
  if (end !== undefined && end < start) throw invalid(`Invalid Content-Range: '${header}'.`);
  if (end !== undefined && total !== undefined && end >= total)
    throw invalid(`Invalid Content-Range: '${header}'.`);
  return { kind: 'data', start, end, total, toEnd: end === undefined && total === undefined };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The unit of resumable uploads: every chunk but the last is at least this, ideally a multiple. */
export const UPLOAD_QUANTUM = 256 * 1024;

/**
 * `PUT` (or `POST`) to a resumable upload's URL. Stores the bytes past what the session already
 * holds (overlapping bytes are skipped), then answers 308 with `Range: bytes=0-N` while the object
 * is incomplete, or 200 with the object once the last byte arrives (at the `Content-Range` total,
 * or at the end of a single request whose range is open-ended with an unknown total). As on GCS,
 * a chunk that is not the last must hold at least 256 KiB (else 400), and only whole multiples of
 * 256 KiB of an incomplete upload are persisted: the `Range` answer tells the client where to go
 * on. A request the client abandons midway keeps none of its bytes.
 */
export async function putUploadData(ctx: RequestContext, session: UploadSession): Promise<void> {
  ctx.notes.operation = 'uploads.put';
  ctx.notes.bucket = session.bucket;
  ctx.notes.object = session.name;
  const range = parseUploadRange(headerValue(ctx.req.headers['content-range']));
  if (range.kind === 'status') {
    if ((await readChunk(ctx, session, 1024 * 1024)) === undefined) return;
    if (range.total !== undefined && range.total === session.received) return finish(ctx, session);
    if (range.total !== undefined && range.total < session.received) {
      throw invalid(
        `The upload already holds ${session.received} bytes, more than the total ${range.total}.`,
      );
    }
    return incomplete(ctx, session);
  }
  if (range.start > session.received) {
    // Not a retry of persisted bytes: there is a gap. Tell the client where the upload stands.
    if ((await readChunk(ctx, session, ctx.maxObjectSize)) === undefined) return;
    throw new GcsProblem(
      400,
      'invalid',
      `Content-Range starts at byte ${range.start} but the upload holds ${session.received} bytes.`,
      session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {},
    );
  }
  const body = await readChunk(ctx, session, Math.max(0, ctx.maxObjectSize - range.start));
  if (body === undefined) return;
  if (range.end !== undefined && body.length !== range.end - range.start + 1) {
    throw invalid(
      `Content-Range ${range.start}-${range.end} declares ${range.end - range.start + 1} bytes but the body has ${body.length}.`,
    );
  }
  const total = range.toEnd ? range.start + body.length : range.total;
  const last = total !== undefined && range.start + body.length === total;
  if (!last && body.length < UPLOAD_QUANTUM) throw chunkTooSmall(body.length);
  // An incomplete upload persists whole quanta only; the rest must be sent again.
  const keepTo = last
    ? range.start + body.length
    : Math.floor((range.start + body.length) / UPLOAD_QUANTUM) * UPLOAD_QUANTUM;
  if (keepTo > session.received) {
    const fresh = body.subarray(session.received - range.start, keepTo - range.start);
    session.chunks.push(fresh);
    session.received += fresh.length;
  }
  if (session.received > ctx.maxObjectSize) throw tooLarge(ctx.maxObjectSize);
  if (total !== undefined && session.received > total) {
    throw invalid(`The upload holds ${session.received} bytes, more than the declared total ${total}.`);
  }
  if (total !== undefined && session.received === total) return finish(ctx, session);
  return incomplete(ctx, session);
}

/** GCS's answer to a chunk other than the last that holds less than 256 KiB. */
function chunkTooSmall(bytes: number): GcsProblem {
  return invalid(
    `Invalid request. The number of bytes uploaded is required to be equal or greater than ${UPLOAD_QUANTUM}, except for the final request (it's recommended to be the exact multiple of ${UPLOAD_QUANTUM}). The received request contained ${bytes} bytes, which does not meet this requirement.`,
  );
}

/**
 * "Resume incomplete": a 308 with `Range: bytes=0-N` (none when nothing is held). A client that
 * sends `X-GUploader-No-308: yes` (Go's HTTP stack reads a bare 308 as a redirect) gets a 200 with
 * `X-Http-Status-Code-Override: 308` and the same headers instead, as GCS does.
 */
function incomplete(ctx: RequestContext, session: UploadSession): void {
  const headers: Record<string, string> = { 'X-GUploader-UploadID': session.id };
  if (session.received > 0) headers.Range = `bytes=0-${session.received - 1}`;
  if (headerValue(ctx.req.headers['x-guploader-no-308'])?.trim().toLowerCase() === 'yes') {
    sendEmpty(ctx.res, 200, { ...headers, 'X-Http-Status-Code-Override': '308' });
    return;
  }
  sendEmpty(ctx.res, 308, headers);
}

/**
 * Reads a request's body, then looks at the session again: while the body arrived, another request
 * may have finished the upload (then this one gets the object, as a replay would), failed it or
 * cancelled it (404), or the session expired (410). `undefined` means the answer was sent.
 */
async function readChunk(
  ctx: RequestContext,
  session: UploadSession,
  limit: number,
): Promise<Buffer | undefined> {
  const body = await readBody(ctx.req, limit);
  if (session.finishing) {
    const result = await session.finishing.catch(() => undefined);
    if (result) {
      sendJson(ctx.res, 200, result, { fields: ctx.fields });
      return undefined;
    }
  }
  const found = ctx.sessions.lookup(session.id);
  if (found.state === 'expired') throw sessionExpired();
  if (found.state === 'unknown') throw noSuchSession();
  return body;
}

/**
 * Finishes the upload once, however many requests ask at the same time: the first writes the
 * object, the others wait for it and get the same answer.
 */
async function finish(ctx: RequestContext, session: UploadSession): Promise<void> {
  session.finishing ??= complete(ctx, session);
  const result = await session.finishing;
  sendJson(ctx.res, 200, result, { fields: ctx.fields });
}

async function complete(ctx: RequestContext, session: UploadSession): Promise<GcsObjectResource> {
  try {
    if (session.declaredSize !== undefined && session.declaredSize !== session.received) {
      throw invalid(
        `The upload has ${session.received} bytes but X-Upload-Content-Length declared ${session.declaredSize}.`,
      );
    }
    const data =
      session.chunks.length === 1 ? session.chunks[0]! : Buffer.concat(session.chunks, session.received);
    // Checksums from the opening request's metadata, then from the final request's X-Goog-Hash.
    verifyHashes(data, session.expected);
    const object = await writeObject(ctx.store, {
      bucket: session.bucket,
      name: session.name,
      data,
      fields: session.fields,
      preconditions: session.preconditions,
      expected: parseGoogHash(ctx.req.headers['x-goog-hash']),
    });
    session.chunks = [];
    return objectResource(object, ctx.origin);
  } catch (err) {
    // A failed final check (size, checksum, precondition, bucket gone) ends the upload, as on GCS.
    ctx.sessions.delete(session.id);
    throw err;
  }
}

/** `DELETE` to a resumable upload's URL: cancels it (GCS answers 499). */
export async function cancelUpload(ctx: RequestContext, session: UploadSession): Promise<void> {
  ctx.notes.operation = 'uploads.cancel';
  ctx.notes.bucket = session.bucket;
  ctx.notes.object = session.name;
  await readBody(ctx.req, 1024 * 1024);
  ctx.sessions.delete(session.id);
  sendEmpty(ctx.res, 499);
}
