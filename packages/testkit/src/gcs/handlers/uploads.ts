import type { RequestContext } from '../context.js';
import { readBody, readJson, sendJson } from '../http-io.js';
import { multipartBoundary, parseMultipartRelated } from '../multipart.js';
import { checkObjectName } from '../names.js';
import { fieldsFromPatch, parseObjectFields } from '../object-fields.js';
import { objectResource } from '../object-model.js';
import { hashesFromMetadata, parseGoogHash, writeObject } from '../object-writes.js';
import { checkPreconditions, parsePreconditions } from '../preconditions.js';
import { GcsProblem, invalid, noSuchBucket } from '../problem.js';

/** `POST /upload/storage/v1/b/{b}/o?uploadType=...`: dispatches on the upload type. */
export async function insertObject(ctx: RequestContext, bucket: string): Promise<void> {
  const uploadType = ctx.query.get('uploadType');
  if (uploadType === 'multipart') return multipartUpload(ctx, bucket);
  if (uploadType === 'media') return mediaUpload(ctx, bucket);
  if (uploadType === 'resumable') return startResumableUpload(ctx, bucket);
  ctx.notes.operation = 'objects.insert';
  if (!uploadType) throw new GcsProblem(400, 'required', 'Required parameter: uploadType');
  throw invalid(`Unsupported uploadType: '${uploadType}'. Use multipart, media or resumable.`);
}

function objectName(ctx: RequestContext, metadata: Record<string, unknown>): string {
  const name = ctx.query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : undefined);
  if (name === undefined || name === '') throw new GcsProblem(400, 'required', 'Required');
  ctx.notes.object = name;
  return name;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `uploadType=multipart`: a `multipart/related` body, JSON metadata then the content. */
async function multipartUpload(ctx: RequestContext, bucket: string): Promise<void> {
  ctx.notes.operation = 'objects.insert';
  const boundary = multipartBoundary(headerValue(ctx.req.headers['content-type']));
  if (!boundary) {
    throw new GcsProblem(
      400,
      'badRequest',
      'A multipart upload needs a multipart/related Content-Type with a boundary.',
    );
  }
  const body = await readBody(ctx.req, ctx.maxObjectSize + 64 * 1024);
  const upload = parseMultipartRelated(body, boundary);
  if (upload.data.length > ctx.maxObjectSize) throw tooLarge(ctx.maxObjectSize);
  const name = objectName(ctx, upload.metadata);
  const patch = parseObjectFields(upload.metadata);
  if (!patch.contentType && upload.dataContentType) patch.contentType = upload.dataContentType;
  const object = await writeObject(ctx.store, {
    bucket,
    name,
    data: Buffer.from(upload.data),
    fields: fieldsFromPatch(patch),
    preconditions: parsePreconditions(ctx.query),
    expected: hashesFromMetadata(upload.metadata, parseGoogHash(ctx.req.headers['x-goog-hash'])),
  });
  sendJson(ctx.res, 200, objectResource(object, ctx.origin), { fields: ctx.fields });
}

/** `uploadType=media`: the body is the content; `name` in the query; type from `Content-Type`. */
async function mediaUpload(ctx: RequestContext, bucket: string): Promise<void> {
  ctx.notes.operation = 'objects.insert';
  const data = await readBody(ctx.req, ctx.maxObjectSize);
  const name = objectName(ctx, {});
  const contentType = headerValue(ctx.req.headers['content-type']);
  const object = await writeObject(ctx.store, {
    bucket,
    name,
    data,
    fields: contentType ? { contentType } : {},
    preconditions: parsePreconditions(ctx.query),
    expected: parseGoogHash(ctx.req.headers['x-goog-hash']),
  });
  sendJson(ctx.res, 200, objectResource(object, ctx.origin), { fields: ctx.fields });
}

/**
 * `uploadType=resumable`: opens an upload session and answers 200 with its absolute URL in
 * `Location`. Bucket, name and preconditions are checked now, and the preconditions again when
 * the upload finishes.
 */
async function startResumableUpload(ctx: RequestContext, bucket: string): Promise<void> {
  ctx.notes.operation = 'uploads.start';
  const metadata = await readJson(ctx.req, { nullIsEmpty: true });
  const name = objectName(ctx, metadata);
  if (!ctx.store.bucket(bucket)) throw noSuchBucket();
  checkObjectName(name);
  const patch = parseObjectFields(metadata);
  const headerType = headerValue(ctx.req.headers['x-upload-content-type']);
  if (!patch.contentType && headerType) patch.contentType = headerType;
  const preconditions = parsePreconditions(ctx.query);
  checkPreconditions(ctx.store.object(bucket, name), preconditions);
  const declared = headerValue(ctx.req.headers['x-upload-content-length']);
  let declaredSize: number | undefined;
  if (declared !== undefined && declared !== '') {
    if (!/^\d+$/.test(declared)) throw invalid(`Invalid X-Upload-Content-Length: '${declared}'.`);
    declaredSize = Number(declared);
    if (declaredSize > ctx.maxObjectSize) throw tooLarge(ctx.maxObjectSize);
  }
  const session = ctx.sessions.create({
    bucket,
    name,
    fields: fieldsFromPatch(patch),
    preconditions,
    declaredSize,
    expected: hashesFromMetadata(metadata),
  });
  const location =
    `${ctx.origin}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o` +
    `?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
  ctx.res.writeHead(200, {
    Location: location,
    'X-GUploader-UploadID': session.id,
    'Content-Length': '0',
  });
  ctx.res.end();
}

/** 413 for content over the emulator's limit. */
export function tooLarge(limit: number): GcsProblem {
  return new GcsProblem(413, 'uploadTooLarge', `The object exceeds the maximum size of ${limit} bytes.`);
}
