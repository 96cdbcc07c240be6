import { classifyFailure, type FailureKind } from '@failover/core';
import { classifyGcsError, createGcsStore } from '@failover/gcs';
import { type BlobStore, isPrefixEntry, StorageError } from '@failover/storage';
import { type Fault, type FaultProxy, faults, type GcsLocalServer } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { byteStream, startBehindProxy } from './helpers.js';

let server: GcsLocalServer;
let proxy: FaultProxy;
let store: BlobStore;
let bucketName: string;

beforeAll(async () => {
  ({ server, proxy, bucketName, store } = await startBehindProxy('faults'));
  await store.put('present', 'here');
  await store.put('present-big', Buffer.alloc(4096, 7));
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  await proxy.setFault({ type: 'pass' });
});

type Op = [name: string, run: () => Promise<unknown>];
const ops = (): Op[] => [
  ['put (multipart)', () => store.put('w-small', 'x')],
  ['put (resumable bytes)', () => store.put('w-big', Buffer.alloc(2048, 1))],
  ['put (resumable stream)', () => store.put('w-stream', byteStream(Buffer.alloc(3000, 2), 1000))],
  ['get', () => store.get('present')],
  ['head', () => store.head('present')],
  ['exists', () => store.exists('present')],
  ['delete', () => store.delete('present-gone')],
  [
    'list',
    async () => {
      for await (const _ of store.list()) {
        // drain
      }
    },
  ],
  ['copy', () => store.copy('present', 'copied')],
];

async function failure(run: () => Promise<unknown>): Promise<StorageError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the operation should fail').toBeInstanceOf(StorageError);
  return err as StorageError;
}

function expectKind(err: StorageError, kind: FailureKind): void {
  expect(err.kind).toBe(kind);
  expect(err.target).toBe(store.name);
  expect(err.cause).toBeDefined();
  expect(err.cause).not.toBeInstanceOf(StorageError);
  // The raw SDK error classifies the same way through core, with the GCS classifier registered.
  expect(classifyFailure(err.cause)).toBe(kind);
}

describe.each<[string, Fault, FailureKind]>([
  ['503 backendError', faults.slowDown(), 'unavailable'],
  ['500', faults.serverError(), 'unavailable'],
  ['429 rateLimitExceeded', faults.throttle(1), 'throttled'],
  ['connection reset', faults.reset(), 'network'],
])('%s', (_label, fault, kind) => {
  it.each(ops())(`%s fails with kind ${kind}`, async (_name, run) => {
    await proxy.setFault(fault);
    const err = await failure(run);
    expectKind(err, kind);
    if (kind !== 'network') expect(classifyGcsError(err.cause)).toBe(kind);
  });
});

describe('faults on one step of a resumable upload', () => {
  it.each<[string, Fault, FailureKind]>([
    ['503 on the data PUT', faults.slowDown({ match: { method: 'PUT' } }), 'unavailable'],
    ['429 on the data PUT', faults.throttle(1, { match: { method: 'PUT' } }), 'throttled'],
    ['reset on the data PUT', faults.reset({ match: { method: 'PUT' } }), 'network'],
    ['503 on the session POST', faults.slowDown({ match: { path: /uploadType=resumable/ } }), 'unavailable'],
  ])('%s', async (_label, fault, kind) => {
    await proxy.setFault(fault);
    const err = await failure(() => store.put('resumable-fault', Buffer.alloc(2048, 3)));
    expectKind(err, kind);
    await proxy.setFault({ type: 'pass' });
    expect(await store.exists('resumable-fault')).toBe(false);
  });
});

describe('answers are not outages', () => {
  it('maps 403 to auth and 400 to invalid', async () => {
    await proxy.setFault(faults.status(403, { code: 'forbidden' }));
    expectKind(await failure(() => store.head('present')), 'auth');
    await proxy.setFault(faults.status(400, { code: 'invalid' }));
    expectKind(await failure(() => store.put('x', 'y')), 'invalid');
  });

  it('maps a 403 carrying rateLimitExceeded to throttled (reason wins over status)', async () => {
    await proxy.setFault(faults.status(403, { code: 'userRateLimitExceeded' }));
    expectKind(await failure(() => store.head('present')), 'throttled');
  });

  it('fails a download whose connection drops mid-body, never hangs', async () => {
    // @google-cloud/storage 8 reports the cut (`network`). Version 7 (node-fetch 2) never ends nor
    // fails a body whose connection closes in the middle of a Content-Length response; there the
    // store's idle guard fails it (`timeout`).
    const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
    const guarded = createGcsStore({ bucket, readIdleTimeoutMs: 300 });
    await guarded.put('long', Buffer.alloc(256 * 1024, 9));
    await proxy.setFault(faults.reset({ afterBytes: 1000, match: { path: /alt=media/ } }));
    const err = await (async () => {
      const { body } = await guarded.get('long');
      for await (const _ of body) {
        // drain until the cut
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ key: 'long', target: guarded.name });
    const kind = (err as StorageError).kind;
    expect(['network', 'timeout']).toContain(kind);
    expect(classifyFailure(err)).toBe(kind);
  });

  it('an error answer whose body is cut fails the call, never the process (the client reads it in a promise it never catches)', async () => {
    // @google-cloud/storage reads the body of a download's error answer (here the 404 of a missing
    // key) with `for await` in a promise without a catch: a connection cut in that body was an
    // unhandled rejection that ended the process (seen in the Jepsen soak). Vitest fails the run
    // on an unhandled rejection.
    const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
    const guarded = createGcsStore({ bucket });
    // Cut on the download only, and on every request (the metadata request beside the download
    // then fails first, and the request watchdog ends the download's error answer with it).
    const cut = [faults.cut({ afterBytes: 3 }), faults.reset({ afterBytes: 3 })];
    for (const fault of [...cut.map((f) => ({ ...f, match: { path: /alt=media/ } })), ...cut]) {
      await proxy.setFault(fault);
      for (let i = 0; i < 5; i++) {
        const outcome = await guarded.get(`missing-${i}`).then(
          (r) => r,
          (e: unknown) => e,
        );
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(StorageError);
        else expect(outcome).toBeNull();
      }
    }
    // Let any rejection the client left behind surface before the test ends.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it.each([
    ['reset', faults.reset({ afterBytes: 5 })],
    ['cut', faults.cut({ afterBytes: 5 })],
  ] as const)(
    'a JSON answer %s mid-body is a network failure on every operation (fails over)',
    async (_n, fault) => {
      const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
      const s = createGcsStore({ bucket });
      await proxy.setFault(fault);
      for (const [name, run] of [
        [
          'list',
          () =>
            (async () => {
              for await (const _ of s.list()) {
                /* drain */
              }
            })(),
        ],
        ['put', () => s.put('w-json', 'x')],
        ['head', () => s.head('present')],
      ] as const) {
        const err = await failure(run);
        expect(`${name}: ${err.kind}`).toMatch(new RegExp(`^${name}: (network|timeout)$`));
      }
    },
  );

  it('a listing whose next page is reset mid-body fails with network', async () => {
    const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
    const s = createGcsStore({ bucket, prefix: 'paged/' });
    for (let i = 0; i < 7; i++) await s.put(`k${i}`, 'x');
    await proxy.setFault(faults.reset({ afterBytes: 5, match: { path: /pageToken=/ } }));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const entry of s.list({ pageSize: 5 }))
        seen.push(isPrefixEntry(entry) ? entry.prefix : entry.key);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen).toHaveLength(5);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).kind).toBe('network');
  });

  it('does not count time the reader spends not reading', async () => {
    const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
    const guarded = createGcsStore({ bucket, readIdleTimeoutMs: 100 });
    const data = Buffer.alloc(1024 * 1024, 4);
    await guarded.put('paused', data);
    const { body } = await guarded.get('paused');
    // Let the body's buffers fill and sit for several idle periods before reading.
    await new Promise((r) => setTimeout(r, 400));
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('keeps the key and target on mapped errors', async () => {
    await proxy.setFault(faults.slowDown());
    const err = await failure(() => store.get('present'));
    expect(err).toMatchObject({ key: 'present', target: store.name, kind: 'unavailable' });
    expect(err.message).toContain(store.name);
  });
});
