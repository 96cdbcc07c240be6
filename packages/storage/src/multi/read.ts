import { pipeline, Readable } from 'node:stream';
import { AllTargetsFailedError, classifyFailure } from '@failover/core';
import { abortableStream } from '../abort.js';
import { readAll } from '../body.js';
import { StorageError } from '../errors.js';
import { validateRange } from '../range.js';
import type { BlobInfo, GetOptions, OperationOptions } from '../types.js';
import { combine, type MultiContext, type StoreTarget } from './context.js';
import { IntegrityError } from './errors.js';
import { reportCorruptCopy } from './journaling.js';
import { present, sha256Of, versionOf } from './reserved.js';
import type { MultiCloudBlobInfo } from './types.js';
import { sha256Hex, verifyingStream } from './verify.js';
import { compareVersions } from './version.js';

/** What one target said to a read. */
type Outcome<R> =
  | { readonly type: 'found'; readonly value: R }
  | { readonly type: 'missing' }
  | { readonly type: 'stale' }
  | { readonly type: 'corrupt'; readonly error: IntegrityError };

type Attempt<R> = (
  target: StoreTarget,
  signal: AbortSignal | undefined,
  minVersion: string | undefined,
) => Promise<Outcome<R>>;

const MISSING: Outcome<never> = Object.freeze({ type: 'missing' });
const STALE: Outcome<never> = Object.freeze({ type: 'stale' });

/**
 * Runs a read through the router and decides what the answers mean:
 *
 * - A key whose newest pending journal entry is a delete reads as missing, without a call.
 * - A key with a pending put is read from the targets that hold that version first; a copy older
 *   than it, or "not found" from a target that still lacks it, is skipped as stale.
 * - "Not found" from the highest target, with no target above it down, is final. From a lower
 *   target (a higher one failed or was skipped) it is not: the remaining targets are asked too.
 * - A corrupt copy is reported, queued for repair, and the read moves on.
 *
 * Returns `null` for a missing key. Throws the router's `AllTargetsFailedError` when every target
 * that could answer is down, or the `IntegrityError` when the only copies are corrupt.
 */
export async function routedRead<R>(
  ctx: MultiContext,
  key: string,
  attempt: Attempt<R>,
  signal: AbortSignal | undefined,
): Promise<{ value: R; target: StoreTarget } | null> {
  await ctx.ready();
  ctx.checkOpen();
  const latest = ctx.pending.latest(key);
  if (latest?.entry.op === 'delete') return null;
  const minVersion = latest?.entry.version;
  let order = ctx.targets.map((t) => t.name);
  if (latest !== undefined) {
    const holders = order.filter((n) => latest.holders.has(n));
    order = [...holders, ...order.filter((n) => !latest.holders.has(n))];
  }
  const failed = new Set<string>();
  const answeredMissing = new Set<string>();
  let sawMissing = false;
  let sawStale = false;
  let corrupt: IntegrityError | undefined;
  while (order.length > 0) {
    let res: Awaited<ReturnType<typeof ctx.router.runDetailed<Outcome<R>>>>;
    try {
      res = await ctx.router.runDetailed((t, c) => attempt(t, combine(c.signal, signal), minVersion), {
        idempotent: true,
        targets: order,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      if (err instanceof AllTargetsFailedError && sawMissing && !sawStale && corrupt === undefined) {
        // A live target answered "not found"; every other one is down.
        return null;
      }
      throw err;
    }
    for (const f of res.failures) failed.add(f.target);
    const name = res.target.name;
    const outcome = res.value;
    if (outcome.type === 'found') return { value: outcome.value, target: res.target };
    if (outcome.type === 'missing') {
      sawMissing = true;
      answeredMissing.add(name);
      // Final when every target above this one answered "not found" too (none of them is down).
      const above = ctx.targets.slice(0, res.target.rank);
      if (latest === undefined && above.every((t) => answeredMissing.has(t.name))) return null;
    } else if (outcome.type === 'stale') {
      sawStale = true;
    } else {
      corrupt = outcome.error;
    }
    order = order.filter((n) => n !== name && !failed.has(n));
  }
  if (corrupt !== undefined) throw corrupt;
  if (sawStale) {
    throw new StorageError(
      'unavailable',
      `No reachable target holds the newest version (${minVersion}) of ${JSON.stringify(key)}`,
      { key },
    );
  }
  return null;
}

/** `get` over the targets: verified whole-object reads, streamed reads verified as they end. */
export async function getObject(
  ctx: MultiContext,
  key: string,
  options: GetOptions,
): Promise<{ info: MultiCloudBlobInfo; body: Readable } | null> {
  const { range, signal } = options;
  validateRange(range, key);
  const attempt: Attempt<{ info: MultiCloudBlobInfo; body: Readable }> = async (
    t,
    attemptSignal,
    minVersion,
  ) => {
    let result: Awaited<ReturnType<typeof t.store.get>>;
    try {
      result = await t.store.get(key, { ...(range === undefined ? {} : { range }), signal: attemptSignal });
    } catch (err) {
      if (classifyFailure(err) === 'not_found') return absent(minVersion);
      throw err;
    }
    const { info, body } = result;
    const version = versionOf(info);
    ctx.clock.observe(version);
    if (minVersion !== undefined && compareVersions(version, minVersion) < 0) {
      body.destroy();
      return STALE;
    }
    const expected = sha256Of(info);
    const shown = present(info, t.name);
    if (range !== undefined || expected === undefined) {
      return { type: 'found', value: { info: shown, body: guard(body, attemptSignal, signal) } };
    }
    if (info.size <= ctx.options.readBufferBytes) {
      // Small enough to check before answering: a bad copy moves the read on.
      const bytes = await readAll(body, attemptSignal);
      const actual = sha256Hex(bytes);
      if (actual !== expected) {
        const error = new IntegrityError(key, t.name, expected, actual, version);
        reportCorruptCopy(ctx, error, expected);
        return { type: 'corrupt', error };
      }
      return { type: 'found', value: { info: shown, body: guard(bytesBody(bytes), undefined, signal) } };
    }
    const verifier = verifyingStream({
      key,
      target: t.name,
      expected,
      version,
      onMismatch: (error) => reportCorruptCopy(ctx, error, expected),
    });
    pipeline(body, verifier, () => {
      // Errors reach the reader through `verifier`.
    });
    return { type: 'found', value: { info: shown, body: guard(verifier, attemptSignal, signal) } };
  };
  const res = await routedRead(ctx, key, attempt, signal);
  return res === null ? null : res.value;
}

/** `head` over the targets. */
export async function headObject(
  ctx: MultiContext,
  key: string,
  options: OperationOptions,
): Promise<MultiCloudBlobInfo | null> {
  const attempt: Attempt<BlobInfo> = async (t, attemptSignal, minVersion) => {
    const info = await t.store.head(key, { signal: attemptSignal });
    if (info === null) return absent(minVersion);
    const version = versionOf(info);
    ctx.clock.observe(version);
    if (minVersion !== undefined && compareVersions(version, minVersion) < 0) return STALE;
    return { type: 'found', value: info };
  };
  const res = await routedRead(ctx, key, attempt, options.signal);
  return res === null ? null : present(res.value, res.target.name);
}

/**
 * What "not found" from a target means. With a put pending (`minVersion` set) the object was
 * acknowledged, so the target merely lacks that version: it is stale, not missing, and the read
 * must not answer "not found" while the targets that hold it are down.
 */
function absent(minVersion: string | undefined): Outcome<never> {
  return minVersion === undefined ? MISSING : STALE;
}

/** The body, also aborted by the caller's signal when the attempt had a signal of its own. */
function guard(
  body: Readable,
  attemptSignal: AbortSignal | undefined,
  signal: AbortSignal | undefined,
): Readable {
  return signal === undefined || attemptSignal === signal ? body : abortableStream(body, signal);
}

/** A byte stream over bytes already read (one chunk). */
function bytesBody(bytes: Buffer): Readable {
  return Readable.from(bytes.length === 0 ? [] : [bytes], { objectMode: false });
}
