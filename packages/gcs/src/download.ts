import { PassThrough, type Readable } from 'node:stream';
import type { File } from '@google-cloud/storage';

/** The inclusive byte span to read, or `undefined` for the whole object. */
export interface ReadSpan {
  readonly start: number;
  readonly end: number;
}

/** How the body stream reports a failure after `openDownload` resolved. */
export type ErrorMapper = (err: unknown) => Error;

/**
 * Starts a download and resolves once the server has answered with data (so a 404, a 5xx or a
 * refused connection rejects here, before the caller holds a body), with a stream of the bytes.
 *
 * A whole-object read keeps the client's crc32c validation: a mismatch fails the stream at its end
 * (`CONTENT_DOWNLOAD_MISMATCH`). A partial read cannot be validated by the client (GCS checksums
 * cover whole objects). A 416 (the object shrank since its metadata was read) is an empty body, as
 * the contract asks for a range starting past the end. Later errors are passed through `mapError`.
 */
export async function openDownload(
  file: File,
  span: ReadSpan | undefined,
  mapError: ErrorMapper,
): Promise<Readable> {
  const source = file.createReadStream(
    span === undefined ? { validation: 'crc32c' } : { start: span.start, end: span.end, validation: false },
  );
  const out = new PassThrough();

  const first = await new Promise<'data' | 'empty'>((resolve, reject) => {
    const cleanup = () => {
      source.off('readable', onReadable);
      source.off('error', onError);
      source.off('end', onEnd);
    };
    const onReadable = () => {
      cleanup();
      resolve('data');
    };
    const onEnd = () => {
      cleanup();
      resolve('empty');
    };
    const onError = (err: unknown) => {
      cleanup();
      if (isRangeNotSatisfiable(err)) resolve('empty');
      else reject(err);
    };
    source.once('error', onError);
    source.once('end', onEnd);
    source.once('readable', onReadable);
  }).catch((err: unknown) => {
    source.destroy();
    throw err;
  });

  if (first === 'empty') {
    source.destroy();
    out.end();
    return out;
  }

  source.on('error', (err: unknown) => {
    if (isRangeNotSatisfiable(err)) out.end();
    else out.destroy(mapError(err));
  });
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}

function isRangeNotSatisfiable(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === 416;
}
