import { PassThrough, type Readable } from 'node:stream';
import type { File } from '@google-cloud/storage';

/** The inclusive byte span to read, or `undefined` for the whole object. */
export interface ReadSpan {
  readonly start: number;
  readonly end: number;
}

/** How to open one download. */
export interface DownloadRequest {
  readonly file: File;
  /** The bytes to read; `undefined` for the whole object (validated by the client). */
  readonly span: ReadSpan | undefined;
  /** Fail when no byte arrives for this long while the reader waits; `0`: never. */
  readonly idleTimeoutMs: number;
  /** Turns an SDK error that breaks the body after `openDownload` resolved into the store's error. */
  readonly mapError: (err: unknown) => Error;
  /** The error for an idle download. */
  readonly idleError: (idleMs: number) => Error;
}

/**
 * Starts a download and resolves once the server has answered with data, so a 404, a 5xx or a
 * refused connection rejects here, before the caller holds a body; resolves with a stream of the
 * bytes.
 *
 * - A whole-object read keeps the client's crc32c validation: a mismatch fails the stream at its
 *   end (`CONTENT_DOWNLOAD_MISMATCH`). A partial read cannot be validated by the client (GCS
 *   checksums cover whole objects).
 * - A 416 (the object shrank since its metadata was read) is an empty body, as the contract asks
 *   for a range that starts past the end.
 * - A watchdog fails the download when no byte arrives for `idleTimeoutMs` while the reader wants
 *   data: @google-cloud/storage 7 (node-fetch 2) never ends nor fails a body whose connection
 *   drops in the middle of a response with a Content-Length, which would otherwise hang forever.
 */
export async function openDownload(req: DownloadRequest): Promise<Readable> {
  const { span } = req;
  const source = req.file.createReadStream(
    span === undefined ? { validation: 'crc32c' } : { start: span.start, end: span.end, validation: false },
  );
  const out = new PassThrough();
  // Until `out` is handed out nobody listens to its errors: an idle download then fails the source
  // (which rejects the wait for the first byte below) and `out` is closed without an error, or
  // its 'error' event would go unhandled and take the process down.
  let handedOut = false;
  const watchdog = startWatchdog(req.idleTimeoutMs, out, () => {
    const err = req.idleError(req.idleTimeoutMs);
    source.destroy(err);
    out.destroy(handedOut ? err : undefined);
  });

  let first: 'data' | 'empty';
  try {
    first = await new Promise<'data' | 'empty'>((resolve, reject) => {
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
    });
  } catch (err) {
    watchdog.stop();
    source.destroy();
    throw err;
  }

  handedOut = true;
  if (first === 'empty') {
    watchdog.stop();
    source.destroy();
    out.end();
    return out;
  }

  source.on('data', watchdog.touch);
  source.on('error', (err: unknown) => {
    watchdog.stop();
    if (isRangeNotSatisfiable(err)) out.end();
    else if (!out.destroyed) out.destroy(req.mapError(err));
  });
  source.on('end', watchdog.stop);
  out.on('close', () => {
    watchdog.stop();
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}

interface Watchdog {
  touch(): void;
  stop(): void;
}

/**
 * Calls `onIdle` once no data arrived for `idleMs`, not counting time the reader is not reading
 * (the body's buffer full).
 */
function startWatchdog(idleMs: number, out: PassThrough, onIdle: () => void): Watchdog {
  if (idleMs <= 0) return { touch() {}, stop() {} };
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = Date.now();
    // Backpressure from a reader that is not reading is not the server's silence.
    if (out.writableNeedDrain) last = now;
    const idle = now - last;
    if (idle >= idleMs) {
      timer = undefined;
      onIdle();
      return;
    }
    timer = setTimeout(check, idleMs - idle);
    timer.unref();
  };
  timer = setTimeout(check, idleMs);
  timer.unref();
  return {
    touch() {
      last = Date.now();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function isRangeNotSatisfiable(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === 416;
}
