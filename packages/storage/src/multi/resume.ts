import { Readable } from 'node:stream';
import { classifyFailure, isAvailabilityKind } from '@failover/core';
import { isContentMismatch } from '../errors.js';
import type { GetResult } from '../types.js';
import { combine, type MultiContext } from './context.js';
import { type DownloadWatch, OPERATION, shortBody, watchDownload } from './download.js';
import { sha256Of, versionOf } from './reserved.js';

/** What a streamed `get` found on its first target: the body to go on from elsewhere if cut. */
export interface ResumeSpec {
  readonly key: string;
  /** The version the read answered with: a copy elsewhere is used only if it is that version. */
  readonly version: string;
  /** The whole object's size. */
  readonly size: number;
  /** The whole object's SHA-256 (the downstream check verifies the joined bytes against it). */
  readonly sha256: string;
  /** The target the body comes from. */
  readonly target: string;
  /** The body, as the target's store returned it. */
  readonly body: Readable;
  /** The caller's signal: once aborted, the body is not resumed. */
  readonly signal: AbortSignal | undefined;
  /** The targets in the read's order of preference now (asked only when the body is cut). */
  readonly order: () => readonly string[];
}

/** A streamed body that goes on from another target when its source is cut; see {@link resumingBody}. */
export interface ResumingBody {
  /** The bytes of the whole object, from as many sources as it took. */
  readonly stream: Readable;
  /** True once bytes came from more than one target. */
  joined(): boolean;
  /** The whole body was read: reports how to the current source's breaker (see `watchDownload`). */
  ended(error?: unknown): void;
  /** The reader stopped before the end: no report. */
  stopped(): void;
}

/**
 * A streamed body (an object larger than `reads.bufferBytes`, read as a whole) that survives its
 * source: when the source fails with an availability failure (cut, reset, stalled: the adapter's
 * `TransferError` of kind `network` or `timeout`), or ends short of the object's size, the bytes
 * still to come are read with a range request from the next target that holds the same version
 * (same `fo_version`, size and SHA-256), and the reader sees one whole body. The bytes are hashed
 * downstream across the sources, so a joined body that does not match fails with an
 * `IntegrityError` as an unjoined one would.
 *
 * Each target is tried once per body, in the read order (targets on hold and targets that lost
 * their data last), through the router: an open breaker is skipped, a failure counts against it.
 * A body with no target left to go on from fails with the source's error, as before. Each
 * source's end is reported to its breaker (`download`): a cut one as a failure.
 */
export function resumingBody(ctx: MultiContext, spec: ResumeSpec): ResumingBody {
  const stream = new ResumingReadable(ctx, spec);
  return {
    stream,
    joined: () => stream.target !== spec.target,
    ended: (error?: unknown) => stream.watch.ended(error),
    stopped: () => stream.watch.stopped(),
  };
}

class ResumingReadable extends Readable {
  target: string;
  watch: DownloadWatch;
  readonly #ctx: MultiContext;
  readonly #spec: ResumeSpec;
  readonly #tried = new Set<string>();
  #source: Readable;
  #offset = 0;
  #detach: () => void = () => {};

  constructor(ctx: MultiContext, spec: ResumeSpec) {
    super();
    this.#ctx = ctx;
    this.#spec = spec;
    this.target = spec.target;
    this.#source = spec.body;
    // Before any listener of ours: it reports the source's failure to its breaker.
    this.watch = watchDownload(ctx, spec.target, spec.body);
    this.#attach(spec.target, spec.body);
  }

  override _read(): void {
    if (this.#source.isPaused()) this.#source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#detach();
    this.#source.destroy();
    callback(error);
  }

  #attach(target: string, source: Readable): void {
    this.#tried.add(target);
    const onData = (chunk: Buffer): void => {
      this.#offset += chunk.length;
      if (!this.push(chunk)) source.pause();
    };
    const onEnd = (): void => {
      if (this.#offset >= this.#spec.size) {
        this.push(null);
        return;
      }
      // Ended cleanly but short: cut. Reported as the failure it is, then resumed.
      const cut = shortBody(this.#spec.key, target);
      this.watch.ended(cut);
      this.#failed(cut);
    };
    // Its store's checksum (GCS's MD5) did not match at the end: every byte has passed, and the
    // reader's own SHA-256 tells whether they are the object's (a short one is cut, as above).
    const onError = (err: unknown): void => (isContentMismatch(err) ? onEnd() : this.#failed(err));
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    this.#detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      // A late error of a source left behind is nobody's business now.
      source.on('error', () => {});
    };
  }

  #failed(err: unknown): void {
    this.#detach();
    this.#source.destroy();
    if (this.destroyed) return;
    if (this.#spec.signal?.aborted || !isAvailabilityKind(classifyFailure(err))) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    void this.#resume(err);
  }

  async #resume(cause: unknown): Promise<void> {
    const ctx = this.#ctx;
    const { key, version, size, sha256, signal } = this.#spec;
    const from = this.target;
    const order = this.#spec.order().filter((n) => !this.#tried.has(n));
    const offset = this.#offset;
    for (const name of order) {
      if (this.destroyed || signal?.aborted) break;
      this.#tried.add(name);
      let found: GetResult;
      try {
        found = await ctx.router.run(
          (t, c) =>
            ctx.unresponsive.track(t.name, () =>
              t.store.get(key, { range: { start: offset }, signal: combine(c.signal, signal) }),
            ),
          {
            targets: [name],
            idempotent: true,
            hedge: false,
            maxAttempts: 1,
            operation: OPERATION.get,
            ...(signal === undefined ? {} : { signal }),
          },
        );
      } catch {
        continue; // Not there, failed, or its breaker is open: the next one.
      }
      const { info, body } = found;
      const same = versionOf(info) === version && info.size === size && (sha256Of(info) ?? sha256) === sha256;
      if (!same || this.destroyed) {
        body.on('error', () => {});
        body.destroy();
        if (this.destroyed) return;
        continue;
      }
      this.target = name;
      this.#source = body;
      this.watch = watchDownload(ctx, name, body);
      this.#attach(name, body);
      ctx.counts.resumedDownloads++;
      if (ctx.events.has('resumed')) ctx.events.emit('resumed', { key, version, from, to: name, offset });
      return;
    }
    if (!this.destroyed) this.destroy(cause instanceof Error ? cause : new Error(String(cause)));
  }
}
