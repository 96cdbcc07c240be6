import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { getText, type MultiCloudStoreOptions, type PutOptions } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { threeClouds, useMultiStores } from './multi-fixtures.js';
import { keysOf, type SwitchableStore } from './multi-helpers.js';

// The multi-cloud store hashes a body it holds in memory with MD5 once and passes that digest to
// every target's put (`md5`), for the cloud to check, instead of each target hashing it again.

const multi = useMultiStores();

const md5 = (data: string | Uint8Array): string => createHash('md5').update(data).digest('hex');

/** Three targets whose puts record the `md5` option they were given, by target. */
function setup(options: Partial<MultiCloudStoreOptions> = {}) {
  const seen: Record<string, (string | undefined)[]> = {};
  const targets: SwitchableStore[] = threeClouds().map((t) => {
    const put = t.put;
    t.put = (key, body, opts?: PutOptions) => {
      seen[t.name] = [...(seen[t.name] ?? []), opts?.md5];
      return put(key, body, opts);
    };
    return t;
  });
  const { store } = multi.setup(options, targets);
  return { store, targets, seen };
}

/** Waits until every target took a put (a quorum write's third copy may land after the answer). */
async function allPut(seen: Record<string, unknown[]>, n = 1): Promise<void> {
  while (!['aws', 'gcp', 'azure'].every((t) => (seen[t]?.length ?? 0) >= n)) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('multi-cloud put: the MD5 of the body, computed once', () => {
  it.each([
    ['the default quorum', {}],
    ["'mirror'", { writes: 'mirror' as const }],
  ])('passes the same MD5 of a byte body to every target (%s)', async (_label, options) => {
    const { store, seen } = setup(options);
    const bytes = Buffer.from('some bytes to write');
    await store.put('k', bytes);
    await allPut(seen);
    for (const t of ['aws', 'gcp', 'azure']) expect(seen[t]).toEqual([md5(bytes)]);
  });

  it('passes the MD5 of a string body, and of a small stream body read into memory', async () => {
    const { store, seen } = setup({ writes: 'mirror' });
    await store.put('s', 'a string body');
    await store.put('r', Readable.from([Buffer.from('a small '), Buffer.from('stream')]));
    for (const t of ['aws', 'gcp', 'azure'])
      expect(seen[t]).toEqual([md5('a string body'), md5('a small stream')]);
    expect(await getText(store, 'r')).toBe('a small stream');
  });

  it("passes the caller's md5 (lowercased) and does not hash again", async () => {
    const { store, seen } = setup({ writes: 'mirror' });
    await store.put('k', 'given', { md5: md5('given').toUpperCase() });
    for (const t of ['aws', 'gcp', 'azure']) expect(seen[t]).toEqual([md5('given')]);
  });

  it("fails a put whose caller's md5 does not match its bytes, leaving nothing anywhere", async () => {
    const { store, targets } = setup();
    const err = (await store
      .put('k', 'the bytes', { md5: md5('not the bytes') })
      .catch((e: unknown) => e)) as {
      kind?: unknown;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.kind).toBe('invalid');
    for (const t of targets) expect(await keysOf(t.inner)).toEqual([]);
    expect(store.status().journal.backlog).toBe(0);
  });

  it('passes no MD5 with a body streamed to the targets (larger than spool.memoryBytes)', async () => {
    const { store, seen } = setup({ writes: 'mirror', spool: { memoryBytes: 1024 * 1024, replay: false } });
    const big = Buffer.alloc(1024 * 1024 + 10, 7);
    await store.put('big', Readable.from([big.subarray(0, 600_000), big.subarray(600_000)]));
    for (const t of ['aws', 'gcp', 'azure']) expect(seen[t]).toEqual([undefined]);
  });

  it('refuses md5 with a stream body, and md5 that is not 32 hex digits (argument md5)', async () => {
    const { store, targets } = setup();
    for (const call of [
      () => store.put('k', Readable.from([Buffer.from('x')]), { md5: md5('x') }),
      () => store.put('k', 'x', { md5: 'xyz' }),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as { name?: unknown; argument?: unknown };
      expect(err).toMatchObject({ name: 'InvalidArgumentError', argument: 'md5' });
    }
    for (const t of targets) expect(t.calls.put ?? 0).toBe(0);
  });
});
