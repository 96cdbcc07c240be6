import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidOptionError } from '@failover/core';
import {
  createMemoryStore,
  getBytes,
  InvalidArgumentError,
  isPrefixEntry,
  PreconditionFailedError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';

describe('createMemoryStore', () => {
  it('is named memory by default or as told, and refuses an empty name', () => {
    expect(createMemoryStore().name).toBe('memory');
    expect(createMemoryStore({ name: 'cache' }).name).toBe('cache');
    expect(() => createMemoryStore({ name: '' })).toThrow(InvalidOptionError);
  });

  it('copies bytes in: changing the buffer after put changes nothing stored', async () => {
    const store = createMemoryStore();
    const input = Buffer.from('original');
    await store.put('k', input);
    input.fill(0);
    const chunk = Buffer.from('chunk');
    await store.put('s', Readable.from([chunk]));
    chunk.fill(0);
    expect((await getBytes(store, 'k')).toString()).toBe('original');
    expect((await getBytes(store, 's')).toString()).toBe('chunk');
  });

  it('copies bytes out: changing what get returned changes nothing stored', async () => {
    const store = createMemoryStore();
    await store.put('k', 'original');
    const { body } = await store.get('k');
    for await (const chunk of body) (chunk as Buffer).fill(0);
    const info = await store.head('k');
    info!.metadata.injected = 'x';
    expect((await getBytes(store, 'k')).toString()).toBe('original');
    expect((await store.head('k'))?.metadata).toEqual({});
  });

  it('gives every write a new etag, even of the same bytes, and an MD5', async () => {
    const store = createMemoryStore();
    const a = await store.put('k', 'same');
    const b = await store.put('k', 'same');
    const c = await store.copy('k', 'k2');
    expect(new Set([a.etag, b.etag, c.etag]).size).toBe(3);
    expect(a.checksums.md5).toBe(createHash('md5').update('same').digest('hex'));
    expect(a.checksums.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(c.checksums.md5).toBe(a.checksums.md5);
  });

  it('lets exactly one of concurrent create-only stream puts win', async () => {
    const store = createMemoryStore();
    const slow = (i: number) =>
      (async function* () {
        await new Promise((r) => setTimeout(r, 1 + (i % 3)));
        yield Buffer.from(`writer ${i}`);
      })();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.put('lock', slow(i), { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect((await getBytes(store, 'lock')).toString()).toBe(`writer ${winner}`);
  });

  it('pages like a cloud: keys written after the cursor during a listing are seen, none twice', async () => {
    const store = createMemoryStore();
    for (const key of ['a', 'c', 'e']) await store.put(key, key);
    const seen: string[] = [];
    for await (const entry of store.list({ pageSize: 1 })) {
      if (isPrefixEntry(entry)) continue;
      seen.push(entry.key);
      if (entry.key === 'a') {
        await store.put('b', 'b'); // after the cursor: listed
        await store.put('0', '0'); // before the cursor: not listed
        await store.delete('e'); // not yet listed: gone
      }
    }
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('refuses a body whose size differs from the size hint', async () => {
    const store = createMemoryStore();
    await expect(store.put('k', 'abc', { size: 4 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await store.exists('k')).toBe(false);
  });

  it('refuses a body that is not bytes, text or a stream', async () => {
    const store = createMemoryStore();
    await expect(store.put('k', 42 as never)).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      argument: 'body',
    });
    await expect(store.put('k', 'x', { ifNoneMatch: 'etag' as never })).rejects.toMatchObject({
      argument: 'ifNoneMatch',
    });
    await expect(store.put('k', 'x', { contentType: 'bad\ntype' })).rejects.toMatchObject({
      argument: 'contentType',
    });
  });
});
