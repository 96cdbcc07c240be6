import { Readable } from 'node:stream';
import {
  createMemoryStore,
  getBytes,
  getJson,
  getText,
  InvalidArgumentError,
  NotFoundError,
  putJson,
  StorageError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';

describe('helpers', () => {
  it('getBytes and getText read a whole object or a range', async () => {
    const store = createMemoryStore();
    await store.put('t', 'héllo wörld');
    expect(Buffer.isBuffer(await getBytes(store, 't'))).toBe(true);
    expect(await getText(store, 't')).toBe('héllo wörld');
    expect(await getText(store, 't', { range: { start: 7 } })).toBe('wörld');
  });

  it('putJson stores JSON as application/json and getJson reads it back', async () => {
    const store = createMemoryStore();
    const info = await putJson(
      store,
      'config.json',
      { theme: 'dark', sizes: [1, 2] },
      { metadata: { v: '1' } },
    );
    expect(info.contentType).toBe('application/json');
    expect(info.metadata).toEqual({ v: '1' });
    expect(await getText(store, 'config.json')).toBe('{"theme":"dark","sizes":[1,2]}');
    expect(await getJson<{ theme: string }>(store, 'config.json')).toEqual({ theme: 'dark', sizes: [1, 2] });
    await putJson(store, 'other.json', null, { contentType: 'application/vnd.x+json' });
    expect((await store.head('other.json'))?.contentType).toBe('application/vnd.x+json');
    expect(await getJson(store, 'other.json')).toBeNull();
  });

  it('putJson refuses values JSON cannot hold, writing nothing', async () => {
    const store = createMemoryStore();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [undefined, () => 1, cycle, 10n]) {
      await expect(putJson(store, 'bad.json', value)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    const error = await putJson(store, 'bad.json', cycle).catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(await store.exists('bad.json')).toBe(false);
  });

  it('getJson reports content that is not JSON as a StorageError of kind invalid', async () => {
    const store = createMemoryStore({ name: 'mem' });
    await store.put('bad.json', '{not json');
    const error = await getJson(store, 'bad.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind: 'invalid', key: 'bad.json', target: 'mem' });
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('a missing key rejects with NotFoundError', async () => {
    await expect(getText(createMemoryStore(), 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an abort while reading rejects with AbortedError whose cause is the reason', async () => {
    const store = createMemoryStore();
    await store.put('big', Buffer.alloc(1024 * 1024));
    const controller = new AbortController();
    const reason = new Error('enough');
    const pending = getBytes(store, 'big', { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError', kind: 'aborted', cause: reason });
  });

  it('getBytes works over any store, e.g. one returning a plain stream', async () => {
    const base = createMemoryStore();
    await base.put('k', 'abc');
    const store = {
      ...base,
      get: async () => ({ info: (await base.head('k'))!, body: Readable.from(['a', 'b']) }),
    };
    expect((await getBytes(store, 'k')).toString()).toBe('ab');
  });
});
