import { gunzipSync } from 'node:zlib';
import type { RequestContext } from '../context.js';
import { sendJson } from '../http-io.js';
import { objectEtag, type StoredObject } from '../object-model.js';
import { GcsProblem } from '../problem.js';
import { parseRangeHeader } from '../range-header.js';

/**
 * Sends an object's content with the headers GCS sends and @google-cloud/storage checks:
 * `x-goog-hash` (crc32c and md5 of the stored bytes), `x-goog-stored-content-encoding`,
 * `x-goog-generation` & co. A `Range` gets a 206 with `Content-Range` (416 when it cannot be
 * met). An object stored gzip-encoded is sent as is to clients that accept gzip, else
 * decompressed (GCS's "decompressive transcoding"; `Range` is then ignored, as on GCS).
 */
export function sendMedia(ctx: RequestContext, object: StoredObject): void {
  const headers: Record<string, string> = {
    'Content-Type': object.contentType,
    ETag: `"${objectEtag(object)}"`,
    'Last-Modified': new Date(object.updated).toUTCString(),
    'Accept-Ranges': 'bytes',
    'Cache-Control': object.cacheControl ?? 'private, max-age=0',
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    'x-goog-stored-content-length': String(object.data.length),
    'x-goog-storage-class': object.storageClass,
    'x-goog-hash':
      object.md5Hash === undefined
        ? `crc32c=${object.crc32c}`
        : `crc32c=${object.crc32c},md5=${object.md5Hash}`,
  };
  if (object.contentDisposition !== undefined) headers['Content-Disposition'] = object.contentDisposition;
  if (object.contentLanguage !== undefined) headers['Content-Language'] = object.contentLanguage;
  if (object.componentCount !== undefined) headers['x-goog-component-count'] = String(object.componentCount);

  let body = object.data;
  let rangeHeader = headerValue(ctx.req.headers.range);
  if (object.contentEncoding === 'gzip') {
    if (acceptsGzip(headerValue(ctx.req.headers['accept-encoding']))) {
      headers['Content-Encoding'] = 'gzip';
    } else {
      const plain = tryGunzip(object.data);
      if (plain) {
        body = plain;
        rangeHeader = undefined;
        headers.Warning = '214 UploadServer gunzipped';
      } else headers['Content-Encoding'] = 'gzip';
    }
  }

  const range = parseRangeHeader(rangeHeader, body.length);
  if (range.kind === 'unsatisfiable') {
    const problem = new GcsProblem(
      416,
      'requestedRangeNotSatisfiable',
      'The requested range cannot be satisfied.',
      {
        'Content-Range': `bytes */${body.length}`,
      },
    );
    sendJson(ctx.res, 416, problem.toBody(), { headers: { ...problem.headers } });
    return;
  }
  if (range.kind === 'partial') {
    const slice = body.subarray(range.start, range.end + 1);
    ctx.res.writeHead(206, {
      ...headers,
      'Content-Range': `bytes ${range.start}-${range.end}/${body.length}`,
      'Content-Length': String(slice.length),
    });
    ctx.res.end(slice);
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
  ctx.res.end(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip' && coding?.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function tryGunzip(data: Buffer): Buffer | undefined {
  try {
    return gunzipSync(data);
  } catch {
    return undefined;
  }
}
