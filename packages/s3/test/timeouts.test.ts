import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import { InvalidArgumentError, readAll, StorageError, TransferError } from '@failover/storage';
import { createFaultProxy, type Fault, type FaultProxy, faults } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createS3Store } from '../src/index.js';
import { collect, patternBytes, useS3rver } from './s3rver.js';

// Real s3rver behind the fault proxy, through the official SDK. Short bounds keep the file quick;
// nothing here asserts how long anything took, only that every call settles with the right kind.
const s3 = useS3rver();
let proxy: FaultProxy;
let bucket: string;
const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };
const BODY = patternBytes(512 * 1024);

beforeAll(async () => {
  proxy = await createFaultProxy({ target: s3.server.origin, flavor: 's3' });
  bucket = await s3.freshBucket();
  await createS3Store({ client: s3.server.client, bucket }).put('big', BODY);
});
afterAll(async () => {
  await proxy?.close();
});
beforeEach(async () => {
  await proxy.setFault(faults.pass());
});

const store = (timeouts: object | undefined = BOUNDS) =>
  createS3Store({ client: s3.server.clientFor(proxy.origin), bucket, ...(timeouts ? { timeouts } : {}) });

async function failure(call: () => Promise<unknown>): Promise<StorageError> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

describe('S3 store: no call hangs on a silent or cut connection', () => {
  it('blackhole: every operation rejects with kind timeout (response headers never came)', async () => {
    const s = store();
    await proxy.setFault(faults.blackhole());
    for (const call of [
      () => s.get('big'),
      () => s.head('big'),
      () => s.put('small', 'x'),
      () => s.delete('small'),
      () => collect(s.list()),
      () => s.copy('big', 'copy'),
      () => s.put('stream', Readable.from([BODY])),
    ]) {
      const err = await failure(call);
      expect(err).toMatchObject({ kind: 'timeout', target: s.name });
    }
  }, 60_000);

  it('blackhole with default bounds: get still settles with kind timeout', async () => {
    const s = store(undefined);
    await proxy.setFault(faults.blackhole());
    const err = await failure(() => s.get('big'));
    expect(err).toBeInstanceOf(TransferError);
    expect(err).toMatchObject({ kind: 'timeout', phase: 'response' });
  }, 60_000);

  it.each([
    ['cut (FIN) mid-body', faults.cut({ afterBytes: 10_000 })],
    ['cut right after the headers', faults.cut()],
    ['stall mid-body', faults.stall({ afterBytes: 10_000 })],
    ['reset mid-body', faults.reset({ afterBytes: 10_000 })],
  ] as [string, Fault][])(
    '%s: the body stream fails with kind network',
    async (_label, fault) => {
      const s = store();
      await proxy.setFault(fault);
      const err = await (async () => {
        const { body } = await s.get('big');
        return readAll(body).then(
          () => undefined,
          (e: unknown) => e,
        );
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ kind: 'network', target: s.name });
    },
    60_000,
  );

  it('stall with default bounds: the body stream still fails (network)', async () => {
    const s = store(undefined);
    await proxy.setFault(faults.stall({ afterBytes: 1000 }));
    const { body } = await s.get('big');
    const err = await readAll(body).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network', phase: 'download' });
  }, 60_000);

  it('refused connections reject with kind network', async () => {
    const s = store();
    await proxy.setFault(faults.refuse());
    expect((await failure(() => s.get('big'))).kind).toBe('network');
    expect((await failure(() => s.put('k', BODY))).kind).toBe('network');
  }, 60_000);

  it('a multipart stream upload into a blackhole fails (timeout or network) and releases the body', async () => {
    const s = createS3Store({
      client: s3.server.clientFor(proxy.origin),
      bucket,
      partSize: 5 * 1024 * 1024,
      timeouts: BOUNDS,
    });
    await proxy.setFault(faults.blackhole());
    let released = false;
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 64; i++) yield patternBytes(1024 * 1024, i);
      })(),
    );
    source.once('close', () => {
      released = true;
    });
    const err = await failure(() => s.put('multi', source));
    expect(['timeout', 'network']).toContain(err.kind);
    await sleep(50);
    expect(released).toBe(true);
  }, 60_000);

  it('a reader that is slow to read is not a stall; neither is a caller slow to send', async () => {
    const s = store({ idleTimeoutMs: 200, responseTimeoutMs: 5000 });
    const { body } = await s.get('big');
    await sleep(700);
    expect(Buffer.compare(await readAll(body), BODY)).toBe(0);
    const slow = Readable.from(
      (async function* () {
        yield BODY.subarray(0, 1000);
        await sleep(700);
        yield BODY.subarray(1000);
      })(),
    );
    const info = await s.put('slow-source', slow);
    expect(info.size).toBe(BODY.length);
  }, 60_000);

  it('per-operation timeouts replace the store bounds; 0 turns a bound off', async () => {
    const s = store({ connectTimeoutMs: 0, responseTimeoutMs: 0, idleTimeoutMs: 0 });
    await proxy.setFault(faults.blackhole());
    const err = await failure(() => s.head('big', { timeouts: { responseTimeoutMs: 200 } }));
    expect(err).toMatchObject({ kind: 'timeout', phase: 'response' });
    // With every bound off, only the caller's signal ends a held call.
    const held = s.head('big', { signal: AbortSignal.timeout(300) });
    expect(await held.catch((e: unknown) => (e as { kind?: string }).kind)).toBe('aborted');
  }, 60_000);

  it('validates the option and the per-call override with exact paths', async () => {
    const client = s3.server.client;
    expect(() => createS3Store({ client, bucket, timeouts: { idleTimeoutMs: -1 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => createS3Store({ client, bucket, timeouts: { idleTimeoutMs: -1 } })).toThrow(
      /"timeouts\.idleTimeoutMs"/,
    );
    expect(() => createS3Store({ client, bucket, timeouts: { connectTimeout: 5 } as object })).toThrow(
      /"timeouts\.connectTimeout"/,
    );
    expect(() => createS3Store({ client, bucket, timeouts: 5 as unknown as object })).toThrow(/"timeouts"/);
    const s = createS3Store({ client, bucket });
    const err = await s.get('big', { timeouts: { responseTimeoutMs: 1.5 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('timeouts.responseTimeoutMs');
  });
});
