import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { File } from '@google-cloud/storage';
import type { ContentCheck } from './content-check.js';
import { DownloadSockets } from './download-agent.js';
import { decimalOf } from './info.js';

/** The inclusive byte span to read, or `undefined` for the whole object. */
export interface ReadSpan {
  readonly start: number;
  readonly end: number;
}

/** How to open one download. */
export interface DownloadRequest {
  readonly file: File;
  /** The bytes to read; `undefined` for the whole object. */
  readonly span: ReadSpan | undefined;
  /**
   * A whole-object read validated by the client itself (its CRC32C, computed a byte at a time in
   * JavaScript), for reads whose checksum the caller cannot check ({@link contentCheckOf}).
   */
  readonly clientValidation: boolean;
  /** Fail when no byte arrives for this long while the reader waits; `0`: never. */
  readonly idleTimeoutMs: number;
  /** Turns an SDK error that breaks the body after `openDownload` resolved into the store's error. */
  readonly mapError: (err: unknown) => Error;
  /** The error for an idle download. */
  readonly idleError: (idleMs: number) => Error;
}

/** A download whose server has answered with data, not handed out yet. */
export interface OpenedDownload {
  /** The generation the server sent (`x-goog-generation`), if it said. */
  readonly generation: string | undefined;
  /** The metageneration the server sent (`x-goog-metageneration`), if it said. */
  readonly metageneration: string | undefined;
  /**
   * Hands the bytes out: they flow through `check` (if given), which fails the stream at its end,
   * before it ends, when they do not match. Called once.
   */
  body(check?: ContentCheck | null): Readable;
  /** Releases a download that will not be read. */
  discard(): void;
}

/**
 * Starts a download and resolves once the server has answered with data, so a 404, a 5xx or a
 * refused connection rejects here, before the caller holds a body.
 *
 * - The bytes wait (the server's answer is not counted as idle meanwhile) until
 *   {@link OpenedDownload.body} hands them out, so the caller can match the answer's generation
 *   with the metadata it read beside it and choose the check first.
 * - A 416 (the object shrank since its metadata was read) is an empty body, as the contract asks
 *   for a range that starts past the end.
 * - A watchdog fails the download when no byte arrives for `idleTimeoutMs` while the reader wants
 *   data: @google-cloud/storage 7 (node-fetch 2) never ends nor fails a body whose connection
 *   drops in the middle of a response with a Content-Length, which would otherwise hang forever.
 * - A download that fails or is given up closes its own connection only, never the client's
 *   other requests (see {@link DownloadSockets}).
 */
export function openDownload(req: DownloadRequest): Promise<OpenedDownload> {
  // The download's own requests, so that its failure closes its connection only (see
  // DownloadSockets): the whole wait for the first byte runs in its scope.
  const sockets = new DownloadSockets();
  return sockets.run(() => open(req, sockets));
}

async function open(req: DownloadRequest, sockets: DownloadSockets): Promise<OpenedDownload> {
  const { span } = req;
  const source = req.file.createReadStream(
    span === undefined
      ? { validation: req.clientValidation ? 'crc32c' : false }
      : { start: span.start, end: span.end, validation: false },
  );
  let generation: string | undefined;
  let metageneration: string | undefined;
  // Emitted before the client looks at the response, which it then reads `request.agent` from.
  source.once('response', (res: { headers?: Record<string, unknown> }) => {
    sockets.scope(res);
    quietErrorAnswer(res);
    generation = decimalOf(res.headers?.['x-goog-generation']);
    metageneration = decimalOf(res.headers?.['x-goog-metageneration']);
  });
  const out = new CheckedBody(req.mapError);
  // Until `out` is handed out nobody listens to its errors: an idle download then fails the source
  // (which rejects the wait for the first byte below) and `out` is closed without an error, or
  // its 'error' event would go unhandled and take the process down.
  let handedOut = false;
  let held = false;
  const watchdog = startWatchdog(
    req.idleTimeoutMs,
    () => held || out.writableNeedDrain,
    () => {
      const err = req.idleError(req.idleTimeoutMs);
      source.destroy(err);
      out.destroy(handedOut ? err : undefined);
    },
  );

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

  if (first === 'empty') {
    watchdog.stop();
    source.destroy();
  } else {
    held = true;
    // An error of the source before the body is handed out (nobody reads `out` yet) stays on the
    // source (`errored`) and fails `out` when it is handed out.
    source.on('error', (err: unknown) => {
      watchdog.stop();
      if (!handedOut) return;
      if (isRangeNotSatisfiable(err)) out.end();
      else if (!out.destroyed) out.destroy(req.mapError(err));
    });
  }
  return {
    generation,
    metageneration,
    body(check) {
      handedOut = true;
      if (first === 'empty' || (source.destroyed && isRangeNotSatisfiable(source.errored))) {
        out.end();
        return out;
      }
      if (source.destroyed) {
        out.destroy(req.mapError(source.errored ?? new Error('The download closed before it was read')));
        return out;
      }
      held = false;
      watchdog.touch();
      out.check = check ?? undefined;
      source.on('data', watchdog.touch);
      source.on('end', watchdog.stop);
      out.on('close', () => {
        watchdog.stop();
        if (!source.destroyed) source.destroy();
      });
      source.pipe(out);
      return out;
    },
    discard() {
      watchdog.stop();
      source.destroy();
      out.destroy();
    },
  };
}

/**
 * @google-cloud/storage (7.x) reads the body of a download's error answer (a 404, a 503) into the
 * error's message with `for await` in a promise it never catches (`File#createReadStream`'s
 * `onResponse`). A connection cut in the middle of that body (by the network, or by the request
 * watchdog when a request beside the download failed) was an unhandled rejection that ended the
 * process. The iteration over such an answer's body now ends quietly at a cut: the client then
 * fails the download with the answer's status, as for a whole body, and the cut itself reaches the
 * caller through the download's stream when it is the failure. 2xx answers are left as they are.
 */
function quietErrorAnswer(res: unknown): void {
  const answer = res as { statusCode?: unknown } | null;
  const status = answer?.statusCode;
  if (typeof status !== 'number' || (status >= 200 && status < 300)) return;
  const body = res as AsyncIterable<unknown>;
  const iterate = body[Symbol.asyncIterator];
  if (typeof iterate !== 'function') return;
  Object.defineProperty(body, Symbol.asyncIterator, {
    configurable: true,
    value: async function* quietly(): AsyncGenerator<unknown> {
      try {
        yield* { [Symbol.asyncIterator]: () => iterate.call(body) };
      } catch {
        // Cut: what arrived of the body is the message; the status is the answer.
      }
    },
  });
}

/** The body handed out: the bytes, through a {@link ContentCheck} when there is one. */
class CheckedBody extends Transform {
  check: ContentCheck | undefined;
  readonly #mapError: (err: unknown) => Error;

  constructor(mapError: (err: unknown) => Error) {
    super();
    this.#mapError = mapError;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.check?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const err = this.check?.verify();
    callback(err === undefined ? undefined : this.#mapError(err));
  }
}

interface Watchdog {
  touch(): void;
  stop(): void;
}

/**
 * Calls `onIdle` once no data arrived for `idleMs`, not counting time the reader is not reading
 * (`waiting()`: the body not handed out yet, or its buffer full).
 */
function startWatchdog(idleMs: number, waiting: () => boolean, onIdle: () => void): Watchdog {
  if (idleMs <= 0) return { touch() {}, stop() {} };
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = Date.now();
    // Backpressure from a reader that is not reading is not the server's silence.
    if (waiting()) last = now;
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
