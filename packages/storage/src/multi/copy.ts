import { throwIfAborted } from '../abort.js';
import { checkCallOptions } from '../call-options.js';
import { NotFoundError } from '../errors.js';
import { validateKey } from '../keys.js';
import { normalizeIfNoneMatch } from '../put-options.js';
import type { CopyOptions } from '../types.js';
import { attemptTimeoutOf } from './call-options.js';
import type { MultiContext } from './context.js';
import { IntegrityError } from './errors.js';
import { Fanout, readHead } from './fanout.js';
import { type PutSpec, putSpool, putStream } from './put.js';
import { getObject } from './read.js';
import { Spool } from './spool.js';
import type { MultiCloudBlobInfo, MultiCloudCallOptions } from './types.js';

/**
 * `copy`: reads `from` through the store (the newest version, verified), then writes it to `to`
 * as a new version, as `put` writes a body:
 *
 * - A source up to `spool.memoryBytes` is read into memory first (its hash checked), then written.
 * - A larger one is **streamed**: sent to the targets as it is read (see {@link Fanout}), with no
 *   spool before the first byte goes out. A source that carries its SHA-256 is verified as it
 *   flows and its copies are written with that hash and its size at once (nothing to stamp); its
 *   last byte reaches no target before the source has ended and matched, so a corrupt source
 *   fails the copy and leaves no complete object behind. A source not yet stamped (or written by
 *   no multi-cloud store) is written as a streamed put is: stamped with the hash of what was read.
 */
export async function copyObject(
  ctx: MultiContext,
  from: string,
  to: string,
  options: (CopyOptions & MultiCloudCallOptions) | undefined,
): Promise<MultiCloudBlobInfo> {
  validateKey(from);
  validateKey(to);
  checkCallOptions(options, { key: to, target: ctx.name });
  const attemptTimeoutMs = attemptTimeoutOf(options);
  const ifNoneMatch = normalizeIfNoneMatch(options?.ifNoneMatch, to);
  const signal = options?.signal;
  throwIfAborted(signal);
  const source = await getObject(ctx, from, {
    ...(signal === undefined ? {} : { signal }),
    ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
  });
  if (source === null) throw new NotFoundError(from);
  const spec: PutSpec = {
    contentType: source.info.contentType ?? 'application/octet-stream',
    metadata: source.info.metadata,
    ifNoneMatch,
    signal,
    attemptTimeoutMs,
  };
  const head = await readHead(source.body, ctx.options.spoolMemoryBytes, signal, from);
  if (head.rest === undefined) return putSpool(ctx, to, Spool.ofBytes(Buffer.concat(head.chunks)), spec);
  const { size, version, target } = source.info;
  const sha256 = source.info.checksums.sha256;
  const fanout = new Fanout(source.body, head.rest, head.chunks, {
    windowBytes: ctx.options.spoolMemoryBytes,
    dir: ctx.options.spoolReplay ? ctx.options.spoolDir : undefined,
    size,
    key: to,
    // The read verified it already when the store wrote it; checked again on the way (no extra
    // hashing: the fan-out hashes every body), so the hash written with the copies is the bytes'.
    ...(sha256 === undefined
      ? {}
      : {
          expect: { sha256, mismatch: (actual) => new IntegrityError(from, target, sha256, actual, version) },
        }),
  });
  return putStream(ctx, to, fanout, { ...spec, size, sha256 });
}
