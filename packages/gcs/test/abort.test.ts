import { Readable } from 'node:stream';
import { AbortedError, FailoverError } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import type { BlobStore } from '@failover/storage';
import { type FaultProxy, faults, type GcsLocalServer } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBehindProxy, until } from './helpers.js';

let server: GcsLocalServer;
let proxy: FaultProxy;
let store: BlobStore;
let direct: BlobStore;
let bucketName: string;

beforeAll(async () => {
  ({ server, proxy, bucketName, store } = await startBehindProxy('abort'));
  direct = createGcsStore({ bucket: server.client.bucket(bucketName) });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  await proxy.setFault({ type: 'pass' });
});

async function rejection(promise: Promise<unknown>): Promise<FailoverError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FailoverError);
  return err as FailoverError;
}

/** Checks an abort: core's AbortedError, the signal's reason as cause, the store as target. */
async function aborted(promise: Promise<unknown>, reason?: unknown): Promise<void> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(AbortedError);
  expect(err.kind).toBe('aborted');
  expect(err.target).toBe(store.name);
  if (reason !== undefined) expect(err.cause).toBe(reason);
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

describe('abort', () => {
  it('rejects at once, without a request, when the signal is already aborted', async () => {
    proxy.resetCounts();
    const reason = new Error('caller gave up');
    const signal = AbortSignal.abort(reason);
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
      await aborted(run(), reason);
    }
    expect(proxy.counts.total).toBe(0);
  });

  it('stops a resumable stream upload mid-body, cuts its request and reports nothing written', async () => {
    const controller = new AbortController();
    const body = stalledBody(Buffer.alloc(64 * 1024, 1));
    server.emulator.clearRequests();
    proxy.resetCounts();
    const pending = store.put('stream-resumable', body, { signal: controller.signal });
    // Wait until the data request is under way: the session was created (POST) and the data
    // request (PUT) reached the proxy, which forwards it (on a loaded machine, a fixed pause after
    // the POST could end before the PUT was even sent, and no PUT would ever be logged).
    await until(() => server.emulator.requests.some((r) => r.method === 'POST'));
    await until(() => proxy.counts.forwarded >= 2);
    await new Promise((r) => setTimeout(r, 50));
    const reason = new Error('stop');
    controller.abort(reason);
    await aborted(pending, reason);
    expect(body.destroyed).toBe(true);
    // The half-sent data request was closed (the emulator logs a request when it ends), so no
    // connection is left hanging; the object was never created.
    await until(() => server.emulator.requests.some((r) => r.method === 'PUT'));
    expect(server.emulator.requests.filter((r) => r.method === 'PUT').every((r) => r.status !== 200)).toBe(
      true,
    );
    expect(await direct.exists('stream-resumable')).toBe(false);
  });

  it('cuts the upload request when the body stream itself fails, and writes nothing', async () => {
    const failure = new Error('source broke');
    let sent = false;
    const body = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(Buffer.alloc(64 * 1024, 3));
        setTimeout(() => this.destroy(failure), 100);
      },
    });
    server.emulator.clearRequests();
    const err = await store.put('broken-source', body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverError);
    expect((err as FailoverError).cause).toBe(failure);
    await until(() => server.emulator.requests.some((r) => r.method === 'PUT'));
    expect(server.emulator.requests.filter((r) => r.method === 'PUT').every((r) => r.status !== 200)).toBe(
      true,
    );
    expect(await direct.exists('broken-source')).toBe(false);
  });

  it('stops a chunked resumable upload between chunks', async () => {
    const chunked = createGcsStore({
      bucket: server.clientFor(proxy.url).bucket(bucketName),
      chunkSize: 256 * 1024,
    });
    const controller = new AbortController();
    let pushed = 0;
    const body = new Readable({
      read() {
        if (pushed < 300 * 1024) {
          pushed += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 2));
        }
      },
    });
    server.emulator.clearRequests();
    const pending = chunked.put('chunked-abort', body, { signal: controller.signal });
    await until(() => server.emulator.requests.some((r) => r.method === 'PUT'));
    controller.abort();
    await aborted(pending);
    expect(await direct.exists('chunked-abort')).toBe(false);
  });

  it('sends nothing when a small stream (size hint below the threshold) is aborted while read', async () => {
    const controller = new AbortController();
    const body = stalledBody(Buffer.from('partial'));
    proxy.resetCounts();
    const pending = store.put('stream-small', body, { signal: controller.signal, size: 100 });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await aborted(pending);
    expect(body.destroyed).toBe(true);
    expect(proxy.counts.total).toBe(0);
    expect(await direct.exists('stream-small')).toBe(false);
  });

  it('never reports an aborted small write as written', async () => {
    const controller = new AbortController();
    const pending = store.put('bytes-small', 'tiny', { signal: controller.signal });
    controller.abort();
    await aborted(pending);
  });

  it('aborts a get whose answer is slow', async () => {
    await direct.put('slow', 'data');
    await proxy.setFault(faults.latency(5_000, { match: { path: /alt=media/ } }));
    const controller = new AbortController();
    const pending = store.get('slow', { signal: controller.signal });
    await until(() => proxy.counts.total >= 2);
    controller.abort();
    await aborted(pending);
  });

  it('destroys a returned body with an aborted error when the signal fires later', async () => {
    await direct.put('big', Buffer.alloc(2 * 1024 * 1024, 5));
    await proxy.setFault(faults.latency(0, { perChunkMs: 50, match: { path: /alt=media/ } }));
    const controller = new AbortController();
    const { body } = await store.get('big', { signal: controller.signal });
    const reading = (async () => {
      for await (const _ of body) controller.abort();
    })();
    await aborted(reading);
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
      await aborted(pending);
    }
  });
});
