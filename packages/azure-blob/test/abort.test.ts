import { Readable } from 'node:stream';
import { AbortedError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { createAzureBlobStore } from '../src/index.js';
import { collect, useAzurite } from './azurite.js';

describe('abort signals against azurite', () => {
  const azurite = useAzurite();

  it('rejects at once with kind aborted when the signal is already aborted', async () => {
    const store = createAzureBlobStore({ container: await azurite.freshContainer() });
    const reason = new Error('caller gave up');
    const signal = AbortSignal.abort(reason);
    for (const call of [
      () => store.put('k', 'x', { signal }),
      () => store.get('k', { signal }),
      () => store.head('k', { signal }),
      () => store.delete('k', { signal }),
      () => store.copy('a', 'b', { signal }),
      () => collect(store.list({ signal })),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortedError);
      expect(err).toMatchObject({ kind: 'aborted', target: store.name, cause: reason });
    }
    expect(await store.exists('k')).toBe(false);
  });

  it('stops a streamed upload whose body never ends, writes nothing, releases the body', async () => {
    const store = createAzureBlobStore({ container: await azurite.freshContainer(), blockSize: 1024 });
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(4096, 1)); // enough for blocks to be staged through the SDK
    const controller = new AbortController();
    const pending = store.put('never', body, { signal: controller.signal });
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 100);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ kind: 'aborted', cause: reason });
    expect(body.destroyed).toBe(true);
    expect(await store.exists('never')).toBe(false);
  });

  it('destroys a download body with an aborted error when the signal fires mid-read', async () => {
    const store = createAzureBlobStore({ container: await azurite.freshContainer() });
    await store.put('big', Buffer.alloc(4 * 1024 * 1024, 3));
    const controller = new AbortController();
    const { body } = await store.get('big', { signal: controller.signal });
    let read = 0;
    const err = await (async () => {
      for await (const chunk of body) {
        read += (chunk as Buffer).byteLength;
        controller.abort('enough');
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ kind: 'aborted', cause: 'enough', target: store.name });
    expect(read).toBeLessThan(4 * 1024 * 1024);
    expect(body.destroyed).toBe(true);
  });

  it('stops a listing between pages', async () => {
    const store = createAzureBlobStore({ container: await azurite.freshContainer() });
    for (const k of ['a', 'b', 'c', 'd']) await store.put(k, k);
    const controller = new AbortController();
    const seen: string[] = [];
    const err = await (async () => {
      for await (const entry of store.list({ pageSize: 1, signal: controller.signal })) {
        if ('key' in entry) seen.push(entry.key);
        if (seen.length === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(seen).toEqual(['a', 'b']);
  });
});
