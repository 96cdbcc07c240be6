import { randomBytes } from 'node:crypto';
import { classifyFailure, readOptions, redact } from '@failover/core';
import { throwIfAborted } from '../abort.js';
import { readAll } from '../body.js';
import { StorageError } from '../errors.js';
import { validateKey } from '../keys.js';
import type { BlobStore } from '../types.js';
import type { MultiContext } from './context.js';
import { stamp, versionOf } from './reserved.js';
import type { DrillOptions, DrillReport, DrillStep, DrillTargetReport } from './types.js';
import { sha256Hex } from './verify.js';

/** Defaults of {@link MultiCloudStore.drill}. */
export const DRILL_DEFAULTS = Object.freeze({ prefix: '_failover/drill/', bytes: 1024, timeoutMs: 10_000 });

/**
 * A fire drill: on every target at once, directly (no router, no failover, no journal), write a
 * canary object with a version and SHA-256, read it back and compare, check its metadata, delete
 * it and check it is gone. Each target's report says which step failed, with what kind of
 * failure, and how long each step took. The canary is deleted even when a later step fails.
 */
export async function drill(ctx: MultiContext, options: DrillOptions = {}): Promise<DrillReport> {
  const r = readOptions(options);
  const prefix = r.string('prefix', { allowEmpty: true, default: DRILL_DEFAULTS.prefix });
  const size = r.int('bytes', {
    min: 0,
    max: 16 * 1024 * 1024,
    maxLabel: '16 MiB',
    default: DRILL_DEFAULTS.bytes,
  });
  const timeoutMs = r.ms('timeoutMs', { min: 1, max: 3_600_000, default: DRILL_DEFAULTS.timeoutMs });
  r.value('signal'); // checked below
  r.done();
  throwIfAborted(options.signal);
  ctx.checkOpen();
  const at = Date.now();
  const key = `${prefix}${at}-${ctx.clock.writer}-${randomBytes(4).toString('hex')}`;
  validateKey(key);
  const bytes = randomBytes(size);
  const version = ctx.clock.next();
  const sha256 = sha256Hex(bytes);
  const targets = await Promise.all(
    ctx.targets.map((t) => drillTarget(t.store, key, bytes, version, sha256, timeoutMs, options.signal)),
  );
  return { ok: targets.every((t) => t.ok), at, targets };
}

async function drillTarget(
  store: BlobStore,
  key: string,
  bytes: Buffer,
  version: string,
  sha256: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<DrillTargetReport> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer === undefined ? timeout : AbortSignal.any([outer, timeout]);
  const stepsMs: Partial<Record<DrillStep, number>> = {};
  const started = performance.now();
  let step: DrillStep = 'put';
  let written = false;
  const timed = async <R>(s: DrillStep, fn: () => Promise<R>): Promise<R> => {
    step = s;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      stepsMs[s] = Math.round((performance.now() - t0) * 1000) / 1000;
    }
  };
  try {
    await timed('put', () =>
      store.put(key, bytes, {
        metadata: stamp({}, version, sha256),
        contentType: 'application/octet-stream',
        signal,
      }),
    );
    written = true;
    const got = await timed('get', async () => {
      const r = await store.get(key, { signal });
      return { info: r.info, body: await readAll(r.body, signal) };
    });
    await timed('verify', async () => {
      if (got.body.length !== bytes.length || sha256Hex(got.body) !== sha256) {
        throw new StorageError('unknown', 'The canary read back differs from what was written', { key });
      }
    });
    await timed('head', async () => {
      const info = await store.head(key, { signal });
      if (info === null)
        throw new StorageError('not_found', 'The canary is missing right after it was written', { key });
      if (versionOf(info) !== version) {
        throw new StorageError('unknown', 'The canary lost its metadata (version)', { key });
      }
    });
    await timed('delete', async () => {
      await store.delete(key, { signal });
      written = false;
      if ((await store.head(key, { signal })) !== null) {
        throw new StorageError('unknown', 'The canary is still there after delete', { key });
      }
    });
    return { target: store.name, ok: true, stepsMs, latencyMs: elapsed(started), error: undefined };
  } catch (err) {
    if (written) await store.delete(key, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
    const kind = timeout.aborted && !outer?.aborted ? 'timeout' : classifyFailure(err);
    const message = err instanceof Error ? redact(err.message) : redact(String(err));
    return {
      target: store.name,
      ok: false,
      stepsMs,
      latencyMs: elapsed(started),
      error: { step, kind, message },
    };
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
