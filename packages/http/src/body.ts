import { Readable } from 'node:stream';

/**
 * Whether a request body (after axios' `transformRequest`) can be sent again on another attempt.
 * Strings, buffers, typed arrays, `ArrayBuffer`s, `Blob`s, `URLSearchParams` and spec `FormData`
 * (whose entries are strings or Blobs) are; streams (Node or web) and the `form-data` package's
 * objects (themselves streams) are read once and are not.
 */
export function isReplayableBody(data: unknown): boolean {
  if (data === undefined || data === null) return true;
  if (typeof data === 'string' || typeof data === 'number' || typeof data === 'boolean') return true;
  if (data instanceof Readable) return false;
  if (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) return false;
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return true;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return true;
  if (data instanceof URLSearchParams) return true;
  if (typeof FormData !== 'undefined' && data instanceof FormData) return true;
  const d = data as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown };
  if (typeof d.pipe === 'function' || typeof d.getReader === 'function') return false;
  if (typeof d[Symbol.asyncIterator] === 'function') return false;
  return true;
}
