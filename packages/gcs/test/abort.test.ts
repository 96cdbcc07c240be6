import { Readable } from 'node:stream';
import { createGcsStore } from '@failover/gcs';
import { type BlobStore, StorageError } from '@failover/storage';
import { createFaultProxy, type FaultProxy, faults, type LocalServer } from '@failover/testkit';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, uniqueBucket } from './helpers.js';

let server: LocalServer<Storage>;
let proxy: FaultProxy;
let store: BlobStore;
let direct: BlobStore;

beforeAll(async () => {
  server = await startEmulator();
  proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
  const name = uniqueBucket('abort');
  await server.createBucket(name);
  store = createGcsStore({ bucket: server.clientFor(proxy.url).bucket(name), resumableThreshold: 1024 });
  direct = createGcsStore({ bucket: server.client.bucket(name) });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  await proxy.setFault({ type: 'pass' });
});

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

/** A body that sends `first` and then waits until destroyed. */
function stalledBody(first: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(first);
      }
    },
  });
}

/** Resolves once the proxy has counted `n` requests. */
async function requestsSeen(n: number): Promise<void> {
  while (proxy.counts.total < n) await new Promise((r) => setTimeout(r, 10));
}

describe('abort', () => {
  it('rejects at once, without a request, when the signal is already aborted', async () => {
    proxy.resetCounts();
    const signal = AbortSignal.abort(new Error('caller gave up'));
    for (const run of [
      () => store.put('k', 'x', { signal }),
      () => store.put('k', Readable.from(['x']), { signal }),
      () => store.get('k', { signal }),
      () => store.head('k', { signal }),
      () => store.exists('k', { signal }),
      () => store.delete('k', { signal }),
      () => store.copy('k', 'l', { signal }),
      async () => {
        for await (const _ of store.list({ signal })) {
          // nothing
        }
      },
    ]) {
      const err = await rejection(run());
      expect(err.kind).toBe('aborted');
      expect(err.target).toBe(store.name);
    }
    expect(proxy.counts.total).toBe(0);
  });

  it.each([
    ['resumable', 'stream-resumable', undefined],
    ['multipart', 'stream-multipart', 10_000_000],
  ])('stops a %s stream upload mid-body and reports nothing written', async (_label, key, size) => {
    const controller = new AbortController();
    const body = stalledBody(Buffer.alloc(64 * 1024, 1));
    proxy.resetCounts();
    const pending = store.put(key, body, { signal: controller.signal, ...(size ? { size: 100 } : {}) });
    await requestsSeen(1);
    controller.abort(new Error('stop'));
    const err = await rejection(pending);
    expect(err.kind).toBe('aborted');
    expect(err.key).toBe(key);
    expect(body.destroyed).toBe(true);
    expect(await direct.exists(key)).toBe(false);
  });

  it('aborts a get whose answer is slow', async () => {
    await direct.put('slow', 'data');
    await proxy.setFault(faults.latency(5_000, { match: { path: /alt=media/ } }));
    const controller = new AbortController();
    const pending = store.get('slow', { signal: controller.signal });
    await requestsSeen(2);
    controller.abort();
    expect((await rejection(pending)).kind).toBe('aborted');
  });

  it('destroys a returned body with an aborted error when the signal fires later', async () => {
    await direct.put('big', Buffer.alloc(2 * 1024 * 1024, 5));
    await proxy.setFault(faults.latency(0, { perChunkMs: 50, match: { path: /alt=media/ } }));
    const controller = new AbortController();
    const { body } = await store.get('big', { signal: controller.signal });
    const reading = (async () => {
      for await (const _ of body) controller.abort();
    })();
    const err = await rejection(reading);
    expect(err.kind).toBe('aborted');
    expect(body.destroyed).toBe(true);
  });

  it('stops waiting for a slow head, list or delete', async () => {
    await proxy.setFault(faults.latency(5_000));
    for (const run of [
      (signal: AbortSignal) => store.head('x', { signal }),
      (signal: AbortSignal) => store.delete('x', { signal }),
      async (signal: AbortSignal) => {
        for await (const _ of store.list({ signal })) {
          // nothing
        }
      },
    ]) {
      const controller = new AbortController();
      const pending = run(controller.signal);
      setTimeout(() => controller.abort(), 20);
      expect((await rejection(pending)).kind).toBe('aborted');
    }
  });
});
