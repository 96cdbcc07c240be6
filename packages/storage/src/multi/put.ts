import { classifyFailure, FailoverError, isAvailabilityKind } from '@failover/core';
import { throwIfAborted } from '../abort.js';
import { normalizeDeleteOptions } from '../delete-options.js';
import { InvalidArgumentError, PreconditionFailedError } from '../errors.js';
import { validateKey } from '../keys.js';
import { normalizePutBody, normalizePutOptions, putBodyMd5 } from '../put-options.js';
import type { BlobBody, BlobInfo, BlobStore, DeleteOptions, PutOptions } from '../types.js';
import { attemptTimeoutOf, withoutCallOptions } from './call-options.js';
import { type MultiContext, runOn } from './context.js';
import { Fanout, readHead } from './fanout.js';
import { checkUserMetadata, present, reservedBytes, stamp, stampDeferred, userMetadata } from './reserved.js';
import { checkSize, Spool } from './spool.js';
import { rememberWrittenSha256, stampCopies } from './stamp.js';
import type { MultiCloudBlobInfo, MultiCloudCallOptions } from './types.js';
import { formatVersion } from './version.js';
import { type WriteResult, type WriteSpec, write } from './write.js';
import type { WriteClaim } from './write-lease.js';
import { noteStreamedHash } from './write-steps.js';

const SHA256_PLACEHOLDER = '0'.repeat(64);

/** What a spooled or streamed body is written with. */
export interface PutSpec {
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly ifNoneMatch: boolean;
  readonly signal: AbortSignal | undefined;
  readonly attemptTimeoutMs: number | false | undefined;
}

/** `put`: spools the body, stamps version and SHA-256, writes as the mode says. */
export async function putObject(
  ctx: MultiContext,
  key: string,
  body: BlobBody,
  options: (PutOptions & MultiCloudCallOptions) | undefined,
): Promise<MultiCloudBlobInfo> {
  validateKey(key);
  const attemptTimeoutMs = attemptTimeoutOf(options);
  const opts = normalizePutOptions(key, withoutCallOptions(options));
  if (opts.ifMatch !== undefined) {
    // Each target has its own entity tags: no single one names the store's version of a key.
    throw new InvalidArgumentError('ifMatch', 'is not supported by the multi-cloud store', { key });
  }
  const input = normalizePutBody(body, key);
  if (input.type === 'stream') putBodyMd5(opts.md5, input, key); // refuses an md5
  checkUserMetadata(opts.metadata, key, maxReservedBytes(ctx));
  throwIfAborted(opts.signal);
  await ctx.ready();
  ctx.checkOpen();
  let spool: Spool;
  if (input.type === 'bytes') {
    // A quorum write may still be sending after put resolves: keep a copy the caller cannot change.
    spool = Spool.ofBytes(keepsSending(ctx) ? Buffer.from(input.bytes) : input.bytes, opts.md5);
  } else {
    // A body that fits in memory is hashed before it is sent; a larger one is streamed.
    const head = await readHead(input.stream, ctx.options.spoolMemoryBytes, opts.signal, key);
    if (head.rest !== undefined) {
      const fanout = new Fanout(input.stream, head.rest, head.chunks, {
        windowBytes: ctx.options.spoolMemoryBytes,
        dir: ctx.options.spoolReplay ? ctx.options.spoolDir : undefined,
        size: opts.size,
        key,
      });
      return putStream(ctx, key, fanout, { ...opts, attemptTimeoutMs });
    }
    spool = Spool.ofBytes(Buffer.concat(head.chunks));
  }
  try {
    checkSize(spool, opts.size, key);
  } catch (err) {
    spool.release();
    throw err;
  }
  return putSpool(ctx, key, spool, { ...opts, attemptTimeoutMs });
}

/** Writes a spooled body; releases the spool once no write uses it any more. */
export async function putSpool(
  ctx: MultiContext,
  key: string,
  spool: Spool,
  spec: PutSpec,
): Promise<MultiCloudBlobInfo> {
  let handedOver = false;
  let claim: WriteClaim | undefined;
  try {
    claim = await ctx.writeLeases.claim(key, spec.signal);
    if (spec.ifNoneMatch) await checkAbsent(ctx, key, spec.signal);
    const version = ctx.clock.next();
    const metadata = stamp(spec.metadata, version, spool.sha256);
    ctx.counts.puts++;
    handedOver = true;
    const held = claim;
    const res = await write(ctx, {
      op: 'put',
      key,
      version,
      sha256: spool.sha256,
      size: spool.size,
      signal: spec.signal,
      attemptTimeoutMs: spec.attemptTimeoutMs,
      ...sends(
        key,
        () => spool.body(),
        spec,
        metadata,
        spool.size,
        () => {
          spool.release();
          held.release();
        },
        spool.md5,
      ),
    });
    return present(res.info!, res.target);
  } finally {
    if (!handedOver) {
      spool.release();
      claim?.release();
    }
  }
}

/**
 * Writes a streamed body: sent to the targets as it is read (one read, several sends, see
 * {@link Fanout}), with `fo_sha256` deferred. The journal holds the SHA-256 until each copy is
 * stamped with it, right after the write (or by repair).
 *
 * With `spec.sha256` (a copy of a verified object: the hash is known before the first byte and
 * the source stream fails before its end if its bytes do not match it), the copies are written
 * with their real `fo_sha256` and `size` at once, journaled as a spooled body is, and never
 * stamped.
 */
export async function putStream(
  ctx: MultiContext,
  key: string,
  fanout: Fanout,
  spec: PutSpec & { readonly size: number | undefined; readonly sha256?: string | undefined },
): Promise<MultiCloudBlobInfo> {
  if (spec.sha256 !== undefined && spec.size !== undefined) {
    return putKnownStream(ctx, key, fanout, { ...spec, sha256: spec.sha256, size: spec.size });
  }
  let handedOver = false;
  let claim: WriteClaim | undefined;
  try {
    claim = await ctx.writeLeases.claim(key, spec.signal);
    if (spec.ifNoneMatch) await checkAbsent(ctx, key, spec.signal);
    const version = ctx.clock.next();
    const held = claim;
    // Known before any target holds a whole copy: this process's reads, and through the journal
    // the fleet's, verify a copy of the write met before its stamp.
    fanout.beforeEnd = (body) => {
      rememberWrittenSha256(ctx, key, version, body.sha256);
      return noteStreamedHash(ctx, key, version, body);
    };
    const metadata = stampDeferred(spec.metadata, version);
    const copies = new Map<string, BlobInfo | undefined>();
    let stamping: ((name: string, info: BlobInfo | undefined) => void) | undefined;
    ctx.counts.puts++;
    handedOver = true;
    const res = await writeStream(ctx, fanout, {
      op: 'put',
      key,
      version,
      // Read when the write is journaled: by then a target took every byte, so both are known.
      get sha256() {
        return fanout.sha256;
      },
      get size() {
        return fanout.sha256 === undefined ? undefined : fanout.bytesRead;
      },
      unstamped: true,
      // A hedge would send the whole body to a second target: failover (from the replay copy) only.
      hedge: false,
      signal: spec.signal,
      attemptTimeoutMs: spec.attemptTimeoutMs,
      perform: async (store, signal) => {
        const info = await store.put(key, fanout.reader(ctx.unresponsive.activity()), {
          contentType: spec.contentType,
          metadata,
          ...(spec.size === undefined ? {} : { size: spec.size }),
          ...(spec.ifNoneMatch ? { ifNoneMatch: '*' as const } : {}),
          ...(signal === undefined ? {} : { signal }),
        });
        const name = nameOf(ctx, store);
        if (stamping === undefined) copies.set(name, info);
        else stamping(name, info);
        return info;
      },
      rollback: spec.ifNoneMatch ? (store, written) => undoCopy(store, key, written) : undefined,
      finished: () => {
        fanout.release();
        held.release();
      },
    });
    const sha256 = fanout.sha256!;
    // The copies there now are stamped together; those that land after the acknowledgement (a
    // quorum's stragglers) are stamped as they land.
    stamping = (name, info) => void stampCopies(ctx, key, version, sha256, new Map([[name, info]]));
    void stampCopies(ctx, key, version, sha256, copies);
    const info = res.info!;
    return present({ ...info, metadata: stamp(userMetadata(info), version, sha256) }, res.target);
  } finally {
    if (!handedOver) {
      fanout.release();
      claim?.release();
    }
  }
}

/** {@link putStream} of a body whose SHA-256 and size are known before it is read. */
async function putKnownStream(
  ctx: MultiContext,
  key: string,
  fanout: Fanout,
  spec: PutSpec & { readonly size: number; readonly sha256: string },
): Promise<MultiCloudBlobInfo> {
  let handedOver = false;
  let claim: WriteClaim | undefined;
  try {
    claim = await ctx.writeLeases.claim(key, spec.signal);
    if (spec.ifNoneMatch) await checkAbsent(ctx, key, spec.signal);
    const version = ctx.clock.next();
    const metadata = stamp(spec.metadata, version, spec.sha256);
    ctx.counts.puts++;
    handedOver = true;
    const held = claim;
    const res = await writeStream(ctx, fanout, {
      op: 'put',
      key,
      version,
      sha256: spec.sha256,
      size: spec.size,
      hedge: false,
      signal: spec.signal,
      attemptTimeoutMs: spec.attemptTimeoutMs,
      ...sends(
        key,
        () => fanout.reader(ctx.unresponsive.activity()),
        spec,
        metadata,
        spec.size,
        () => {
          fanout.release();
          held.release();
        },
      ),
    });
    return present(res.info!, res.target);
  } finally {
    if (!handedOver) {
      fanout.release();
      claim?.release();
    }
  }
}

/** `write`, but a failure caused by the body itself (its stream, its size) is reported as such. */
async function writeStream(ctx: MultiContext, fanout: Fanout, spec: WriteSpec): Promise<WriteResult> {
  try {
    return await write(ctx, spec);
  } catch (err) {
    const failure = fanout.failure;
    if (failure instanceof FailoverError && failure.kind !== 'aborted') throw failure;
    throw err;
  }
}

function nameOf(ctx: MultiContext, store: BlobStore): string {
  return ctx.targets.find((t) => t.store === store)!.name;
}

/** `delete`: a tombstone with its own version, written as the mode says. */
export async function deleteObject(
  ctx: MultiContext,
  key: string,
  options: (DeleteOptions & MultiCloudCallOptions) | undefined,
): Promise<void> {
  validateKey(key);
  const { ifMatch, signal } = normalizeDeleteOptions(key, withoutCallOptions(options), ctx.name);
  if (ifMatch !== undefined) {
    // As for put: each target has its own entity tags, none names the store's version of a key.
    throw new InvalidArgumentError('ifMatch', 'is not supported by the multi-cloud store', {
      key,
      target: ctx.name,
    });
  }
  const attemptTimeoutMs = attemptTimeoutOf(options);
  throwIfAborted(signal);
  await ctx.ready();
  ctx.checkOpen();
  const claim = await ctx.writeLeases.claim(key, signal);
  const version = ctx.clock.next();
  ctx.counts.deletes++;
  await write(ctx, {
    op: 'delete',
    key,
    version,
    signal,
    attemptTimeoutMs,
    perform: async (store, s) => {
      await store.delete(key, s === undefined ? {} : { signal: s });
      return undefined;
    },
    finished: () => claim.release(),
  });
}

/**
 * How a put of `key` is sent to each target (the body from `body()`, one per send), undone on a
 * target when another refused its `ifNoneMatch`, and released once no send uses the body. `md5`:
 * the MD5 of a byte body, computed once and sent to every target (for its cloud to check).
 */
function sends(
  key: string,
  body: () => BlobBody,
  spec: PutSpec,
  metadata: Record<string, string>,
  size: number | undefined,
  release: () => void,
  md5?: string,
): Pick<WriteSpec, 'perform' | 'rollback' | 'finished'> {
  return {
    perform: (store, signal) =>
      store.put(key, body(), {
        contentType: spec.contentType,
        metadata,
        ...(size === undefined ? {} : { size }),
        ...(md5 === undefined ? {} : { md5 }),
        ...(spec.ifNoneMatch ? { ifNoneMatch: '*' as const } : {}),
        ...(signal === undefined ? {} : { signal }),
      }),
    rollback: spec.ifNoneMatch ? (store, written) => undoCopy(store, key, written) : undefined,
    finished: release,
  };
}

/**
 * Deletes a copy this put made (`written`, what its target answered) when another target refused
 * the put's `ifNoneMatch`: only that copy (`ifMatch` on its entity tag), so a version another
 * writer put there since stays. A target that reported no entity tag gets a plain delete.
 */
function undoCopy(store: BlobStore, key: string, written: BlobInfo | undefined): Promise<void> {
  return store.delete(key, written?.etag === undefined ? {} : { ifMatch: written.etag });
}

/**
 * `ifNoneMatch: '*'` across targets: refuses when a write of the key is pending, and, for the
 * parallel modes, when any reachable target holds the key. Each target also checks it again
 * when written (atomically where the provider can).
 */
async function checkAbsent(ctx: MultiContext, key: string, signal: AbortSignal | undefined): Promise<void> {
  const latest = ctx.pending.latest(key);
  if (latest?.entry.op === 'put') {
    throw new PreconditionFailedError(key, {
      reason: 'an object exists at the key (not yet on every target)',
    });
  }
  if (ctx.options.writes === 'primary' || ctx.targets.length === 1) return;
  const found = await Promise.all(
    ctx.targets.map((t) =>
      runOn(ctx, t.name, (store, s) => store.head(key, s === undefined ? {} : { signal: s }), signal).then(
        (info) => info !== null,
        (err: unknown) => {
          // A target that is down cannot be asked; it is checked again when repair writes to it.
          if (isAvailabilityKind(classifyFailure(err))) return false;
          throw err;
        },
      ),
    ),
  );
  const at = found.indexOf(true);
  if (at >= 0) {
    throw new PreconditionFailedError(key, {
      target: ctx.targets[at]!.name,
      reason: 'an object exists at the key',
    });
  }
}

/** The most bytes the store's own metadata can take with this writer id. */
function maxReservedBytes(ctx: MultiContext): number {
  return reservedBytes(formatVersion(0, 0, ctx.clock.writer), SHA256_PLACEHOLDER);
}

/** True when a write may go on after put resolves (quorum below the number of targets). */
function keepsSending(ctx: MultiContext): boolean {
  const q = ctx.options.quorum;
  return typeof ctx.options.writes === 'object' && q !== undefined && q < ctx.targets.length;
}
