import type { KeyObject } from 'node:crypto';
import type { RequestContext } from '../context.js';
import { readBody } from '../http-io.js';
import { md5Base64, type StoredObject } from '../object-model.js';
import { parseGoogHash, writeObject } from '../object-writes.js';
import { parsePreconditions } from '../preconditions.js';
import { GcsProblem } from '../problem.js';
import { checkSignedUrl } from '../signed-url.js';
import { XmlProblem } from '../xml-problem.js';
import { sendMedia } from './media.js';
import { findObject } from './objects.js';
import { tooLarge } from './uploads.js';

/**
 * A request to a V4 signed URL, on the XML API's path (`/{bucket}/{object}`, what
 * `file.getSignedUrl({ version: 'v4' })` makes): checked by {@link checkSignedUrl}, then
 * `GET`/`HEAD` downloads the object (with `Range`, and the same headers as a JSON API download),
 * `PUT` uploads it (`Content-Type`, `x-goog-meta-*` metadata, `Content-MD5` and `x-goog-hash`
 * checked, `x-goog-if-generation-match`). Errors are XML, as on GCS.
 */
export async function handleSignedUrl(
  ctx: RequestContext,
  rawUrl: string,
  keys: ReadonlyMap<string, KeyObject>,
): Promise<void> {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  try {
    checkSignedUrl({
      method: ctx.method,
      rawPath,
      rawQuery,
      headers: ctx.req.headers,
      keys,
      now: new Date(),
    });
    const { bucket, name } = objectOf(rawPath);
    ctx.notes.bucket = bucket;
    ctx.notes.object = name;
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      ctx.notes.operation = 'objects.download';
      sendMedia(ctx, findObject(ctx, bucket, name));
      return;
    }
    if (ctx.method === 'PUT') {
      ctx.notes.operation = 'objects.insert';
      await putObject(ctx, bucket, name);
      return;
    }
    throw new XmlProblem(
      405,
      'MethodNotAllowed',
      `The ${ctx.method} method is not allowed on a signed URL here.`,
    );
  } catch (err) {
    const problem = xmlProblemOf(err);
    if (problem === undefined) throw err;
    const body = problem.toXml();
    ctx.res.writeHead(problem.status, {
      'Content-Type': 'application/xml; charset=UTF-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  }
}

/** `/{bucket}/{object...}`: the bucket is the first segment, the object the rest (decoded). */
function objectOf(rawPath: string): { bucket: string; name: string } {
  const segments = rawPath.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    throw new XmlProblem(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
  const [bucket, ...rest] = decoded;
  const name = rest.join('/');
  if (bucket === undefined || bucket === '' || name === '') {
    throw new XmlProblem(400, 'InvalidArgument', 'A signed URL here names one object: /{bucket}/{object}.');
  }
  return { bucket, name };
}

async function putObject(ctx: RequestContext, bucket: string, name: string): Promise<void> {
  const headers = ctx.req.headers;
  const declared = Number(headers['content-length'] ?? 0);
  if (declared > ctx.maxObjectSize) throw tooLarge(ctx.maxObjectSize);
  const data = await readBody(ctx.req, ctx.maxObjectSize);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith('x-goog-meta-') && v !== undefined) metadata[k.slice('x-goog-meta-'.length)] = String(v);
  }
  const contentType = headers['content-type'];
  const expected = parseGoogHash(headers['x-goog-hash']);
  const md5 = headers['content-md5'];
  if (typeof md5 === 'string' && md5 !== '') {
    if (md5 !== md5Base64(data))
      throw new XmlProblem(
        400,
        'BadDigest',
        'The Content-MD5 you specified did not match what was received.',
      );
  }
  const match = headers['x-goog-if-generation-match'];
  const object: StoredObject = await writeObject(ctx.store, {
    bucket,
    name,
    data,
    fields: {
      ...(typeof contentType === 'string' && contentType !== '' ? { contentType } : {}),
      ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    },
    preconditions: parsePreconditions(
      new URLSearchParams(typeof match === 'string' ? { ifGenerationMatch: match } : {}),
    ),
    expected,
  });
  ctx.res.writeHead(200, {
    ETag: `"${Buffer.from(object.md5Hash ?? '', 'base64').toString('hex')}"`,
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-hash':
      object.md5Hash === undefined
        ? `crc32c=${object.crc32c}`
        : `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    'x-goog-stored-content-length': String(object.data.length),
    'Content-Length': '0',
  });
  ctx.res.end();
}

/** The XML form of an error a JSON handler threw (404, 412, 416...), or `undefined` for a bug. */
function xmlProblemOf(err: unknown): XmlProblem | undefined {
  if (err instanceof XmlProblem) return err;
  if (!(err instanceof GcsProblem)) return undefined;
  const code =
    err.status === 404
      ? /bucket/i.test(err.message)
        ? 'NoSuchBucket'
        : 'NoSuchKey'
      : err.status === 412
        ? 'PreconditionFailed'
        : err.status === 416
          ? 'InvalidRange'
          : err.status === 413
            ? 'EntityTooLarge'
            : err.status === 400
              ? 'InvalidArgument'
              : 'InternalError';
  return new XmlProblem(err.status, code, err.message);
}
