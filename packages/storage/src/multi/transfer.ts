import { classifyFailure } from '@failover/core';
import { StorageError } from '../errors.js';
import type { BlobInfo } from '../types.js';
import { type MultiContext, runOn } from './context.js';
import { IntegrityError } from './errors.js';
import { reportCorruptCopy } from './journaling.js';
import { sha256Of, versionOf } from './reserved.js';
import { Spool } from './spool.js';

/** A version of an object fetched from a target, ready to be written elsewhere. */
export interface Fetched {
  readonly spool: Spool;
  readonly info: BlobInfo;
  readonly from: string;
}

/**
 * Fetches `version` of `key` from the first of `sources` that is up and holds exactly that version
 * with intact bytes, into a spool (memory stays flat for large objects). A source whose bytes do
 * not match the SHA-256 is reported as corrupt and skipped. Rejects when no source can provide it.
 */
export async function fetchVersion(
  ctx: MultiContext,
  key: string,
  sources: readonly string[],
  version: string | undefined,
  sha256: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Fetched> {
  let lastError: unknown;
  const seen: string[] = [];
  for (const from of sources) {
    if (!ctx.router.isAvailable(from)) continue;
    let got: { spool: Spool; info: BlobInfo } | { found: string | undefined } | null;
    try {
      got = await runOn(
        ctx,
        from,
        async (store, s) => {
          let r: Awaited<ReturnType<typeof store.get>>;
          try {
            r = await store.get(key, s === undefined ? {} : { signal: s });
          } catch (err) {
            if (classifyFailure(err) === 'not_found') return null;
            throw err;
          }
          const found = versionOf(r.info);
          if (found !== version) {
            r.body.destroy();
            return { found };
          }
          const spool = await Spool.fromStream(
            r.body,
            { memoryBytes: ctx.options.spoolMemoryBytes, dir: ctx.options.spoolDir },
            s,
            key,
          );
          return { spool, info: r.info };
        },
        signal,
      );
    } catch (err) {
      lastError = err;
      continue;
    }
    if (got === null) {
      seen.push(`${from}: missing`);
      continue;
    }
    if (!('spool' in got)) {
      seen.push(`${from}: ${got.found ?? 'unversioned'}`);
      continue;
    }
    const expected = sha256 ?? sha256Of(got.info);
    if (expected !== undefined && got.spool.sha256 !== expected) {
      reportCorruptCopy(ctx, new IntegrityError(key, from, expected, got.spool.sha256, version), expected);
      got.spool.release();
      seen.push(`${from}: corrupt`);
      continue;
    }
    return { spool: got.spool, info: got.info, from };
  }
  throw new StorageError(
    'unavailable',
    `No target could provide version ${version ?? '(unversioned)'} of ${JSON.stringify(key)}` +
      (seen.length > 0 ? ` (${seen.join('; ')})` : ''),
    { key, cause: lastError },
  );
}

/** Writes a fetched version to `target` as it is (content type, metadata with version and SHA-256). */
export async function writeFetched(
  ctx: MultiContext,
  key: string,
  fetched: Fetched,
  target: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { spool, info } = fetched;
  await runOn(
    ctx,
    target,
    (store, s) =>
      store.put(key, spool.body(), {
        ...(info.contentType === undefined ? {} : { contentType: info.contentType }),
        metadata: info.metadata,
        size: spool.size,
        ...(s === undefined ? {} : { signal: s }),
      }),
    signal,
  );
}
