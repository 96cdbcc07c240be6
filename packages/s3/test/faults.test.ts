import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AbortedError, classifyFailure } from '@failover/core';
import {
  ContentMismatchError,
  NotFoundError,
  PreconditionFailedError,
  readAll,
  StorageError,
} from '@failover/storage';
import { createFaultProxy, type FaultProxy, faults } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyS3Error, createS3Store } from '../src/index.js';
import { collect, patternBytes, useS3rver } from './s3rver.js';

// One s3rver behind one fault proxy for the whole file; every test starts with no fault.
const s3 = useS3rver();
let proxy: FaultProxy;
let bucket: string;

beforeAll(async () => {
  proxy = await createFaultProxy({ target: s3.server.origin, flavor: 's3' });
  bucket = await s3.freshBucket();
});
afterAll(async () => {
  await proxy?.close();
});
beforeEach(async () => {
  await proxy.setFault(faults.pass());
  proxy.resetCounts();
});

const storeViaProxy = (partSize?: number) =>
  createS3Store({ client: s3.server.clientFor(proxy.origin), bucket, ...(partSize ? { partSize } : {}) });

describe('S3 errors through the fault proxy', () => {
  async function failure(call: () => Promise<unknown>): Promise<StorageError> {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }

  it.each([
    ['503 SlowDown', faults.slowDown(), 'throttled', 'SlowDown'],
    [
      '503 ServiceUnavailable',
      faults.slowDown({ code: 'ServiceUnavailable' }),
      'unavailable',
      'ServiceUnavailable',
    ],
    ['500 InternalError', faults.serverError(), 'unavailable', 'InternalError'],
    ['502 BadGateway', faults.status(502), 'unavailable', 'BadGateway'],
    ['504 GatewayTimeout', faults.status(504), 'timeout', 'GatewayTimeout'],
    ['403 AccessDenied', faults.status(403), 'auth', 'AccessDenied'],
    [
      '403 InvalidAccessKeyId',
      faults.status(403, { code: 'InvalidAccessKeyId' }),
      'auth',
      'InvalidAccessKeyId',
    ],
    ['403 ExpiredToken', faults.status(400, { code: 'ExpiredToken' }), 'auth', 'ExpiredToken'],
    ['400 RequestTimeout', faults.status(400, { code: 'RequestTimeout' }), 'timeout', 'RequestTimeout'],
    ['400 InvalidArgument', faults.status(400, { code: 'InvalidArgument' }), 'invalid', 'InvalidArgument'],
  ] as const)(
    '%s -> %s, with the SDK error as cause and classifyFailure agreeing',
    async (_label, fault, kind, code) => {
      const store = storeViaProxy();
      await proxy.setFault(fault);
      for (const call of [
        () => store.get('k'),
        () => store.put('k', 'x'),
        () => store.delete('k'),
        () => collect(store.list()),
        () => store.copy('a', 'b'),
      ]) {
        const err = await failure(call);
        expect(err.kind).toBe(kind);
        expect(err.target).toBe(store.name);
        expect(err.cause).toMatchObject({ name: code });
        expect(classifyS3Error(err.cause)).toBe(kind);
        expect(classifyFailure(err.cause)).toBe(kind);
        expect(err.message).toContain(code);
      }
      // HEAD responses carry no body: the kind comes from the status alone.
      const head = await failure(() => store.head('k'));
      expect(classifyFailure(head.cause)).toBe(head.kind);
    },
  );

  it('raw SDK errors classify the same without the store', async () => {
    const client = s3.server.clientFor(proxy.origin);
    createS3Store({ client, bucket }); // registers the classifier
    await proxy.setFault(faults.slowDown());
    const raw = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))
      .catch((e: unknown) => e);
    expect(classifyFailure(raw)).toBe('throttled');
    await proxy.setFault(faults.serverError());
    const raw500 = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))
      .catch((e: unknown) => e);
    expect(classifyFailure(raw500)).toBe('unavailable');
  });

  it('maps 404 NoSuchKey to NotFoundError and 412 to PreconditionFailedError', async () => {
    const store = storeViaProxy();
    await proxy.setFault(faults.status(404));
    const missing = await failure(() => store.get('k'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ kind: 'not_found', key: 'k', target: store.name });
    expect(await store.head('k')).toBeNull();
    await proxy.setFault(faults.status(412));
    const pre = await failure(() => store.put('k', 'x', { ifNoneMatch: '*' }));
    expect(pre).toBeInstanceOf(PreconditionFailedError);
    expect(pre).toMatchObject({ kind: 'precondition', key: 'k' });
    await proxy.setFault(faults.status(409, { code: 'ConditionalRequestConflict' }));
    expect(await failure(() => store.put('k', 'x', { ifNoneMatch: '*' }))).toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('a connection reset is kind network, keeping the socket error as cause', async () => {
    const store = storeViaProxy();
    await proxy.setFault(faults.reset());
    for (const call of [() => store.get('k'), () => store.head('k'), () => store.put('k', 'x')]) {
      const err = await failure(call);
      expect(err.kind).toBe('network');
      // The SDK renames a reset `TimeoutError` (code ECONNRESET); it is still a network failure.
      expect(classifyFailure(err.cause)).toBe('network');
    }
  });

  it('a download cut mid-body fails the body stream with kind network', async () => {
    const store = storeViaProxy();
    await store.put('cut', patternBytes(256 * 1024));
    await proxy.setFault(faults.reset({ afterBytes: 10_000 }));
    const { body } = await store.get('cut');
    const err = await readAll(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'network', key: 'cut', target: store.name });
  });

  it('connection refused is kind network', async () => {
    const store = storeViaProxy();
    await proxy.setFault(faults.refuse());
    const err = await failure(() => store.get('k'));
    expect(err.kind).toBe('network');
    expect(err.cause).toMatchObject({ code: 'ECONNREFUSED' });
    // Not an S3 answer: left to core's rules.
    expect(classifyS3Error(err.cause)).toBeUndefined();
    expect(classifyFailure(err.cause)).toBe('network');
  });

  it('never puts signatures or credentials from a provider message into its own message', async () => {
    const store = storeViaProxy();
    const secret =
      'Request https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=deadbeefcafe0123 failed';
    await proxy.setFault(faults.status(403, { code: 'AccessDenied', message: secret }));
    for (const call of [() => store.get('k'), () => store.put('k', 'x'), () => collect(store.list())]) {
      const err = await failure(call);
      expect(err.kind).toBe('auth');
      expect(err.message).not.toContain('deadbeefcafe0123');
      expect(err.message).not.toContain('AKIAEXAMPLE');
      expect(err.message).toContain('[redacted]');
    }
    await proxy.setFault(faults.status(412, { message: secret }));
    const pre = await failure(() => store.put('k', 'x', { ifNoneMatch: '*' }));
    expect(pre.message).not.toContain('deadbeefcafe0123');
  });
});

describe('abort signals reach the SDK', () => {
  it('rejects at once, without a request, when the signal is already aborted', async () => {
    const store = storeViaProxy();
    proxy.resetCounts();
    const reason = new Error('caller gave up');
    const signal = AbortSignal.abort(reason);
    for (const call of [
      () => store.put('k', 'x', { signal }),
      () => store.get('k', { signal }),
      () => store.head('k', { signal }),
      () => store.exists('k', { signal }),
      () => store.delete('k', { signal }),
      () => store.copy('a', 'b', { signal }),
      () => collect(store.list({ signal })),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortedError);
      expect(err).toMatchObject({ kind: 'aborted', target: store.name, cause: reason });
    }
    expect(proxy.counts.total).toBe(0);
  });

  it('cancels a request in flight: the SDK aborts its HTTP call', async () => {
    const store = storeViaProxy();
    await proxy.setFault(faults.blackhole());
    for (const call of [
      (signal: AbortSignal) => store.get('k', { signal }),
      (signal: AbortSignal) => store.head('k', { signal }),
      (signal: AbortSignal) => store.put('k', 'x', { signal }),
      (signal: AbortSignal) => collect(store.list({ signal })),
    ]) {
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const pending = call(controller.signal).catch((e: unknown) => e);
      await waitFor(() => proxy.counts.byFault.blackhole > 0);
      // The request is held by the proxy and would never end: only the SDK aborting it ends it.
      controller.abort(reason);
      const err = await pending;
      expect(err).toBeInstanceOf(AbortedError);
      expect(err).toMatchObject({ kind: 'aborted', target: store.name, cause: reason });
      proxy.resetCounts();
    }
  });

  it('an AbortSignal.timeout ends a held request with AbortedError carrying the TimeoutError', async () => {
    const store = storeViaProxy();
    await proxy.setFault(faults.blackhole());
    const err = await store.get('k', { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).cause).toMatchObject({ name: 'TimeoutError' });
  });

  it('cancels a multipart upload in flight, releases the body, writes nothing', async () => {
    const store = storeViaProxy(5 * 1024 * 1024);
    const { Readable } = await import('node:stream');
    const body = new Readable({ read() {} });
    body.push(patternBytes(6 * 1024 * 1024)); // more than one part: CreateMultipartUpload + UploadPart
    const controller = new AbortController();
    const seen: string[] = [];
    // Parts hang; everything else (CreateMultipartUpload, AbortMultipartUpload) goes through.
    await proxy.setFault(
      faults.blackhole({
        match: (request) => {
          seen.push(`${request.method} ${request.url}`);
          return request.method === 'PUT';
        },
      }),
    );
    const pending = store.put('upload', body, { signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(() => proxy.counts.byFault.blackhole > 0);
    expect(seen.some((r) => r.startsWith('POST ') && r.includes('uploads'))).toBe(true);
    controller.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ kind: 'aborted', target: store.name });
    await waitFor(() => body.destroyed);
    // The clean-up still reaches S3 although the signal fired: AbortMultipartUpload.
    await waitFor(() => seen.some((r) => r.startsWith('DELETE ') && r.includes('uploadId=')));
    await proxy.setFault(faults.pass());
    expect(await store.exists('upload')).toBe(false);
  });

  it('destroys the body with an aborted error when the signal fires mid-read', async () => {
    const store = storeViaProxy();
    const size = 4 * 1024 * 1024;
    await store.put('big', patternBytes(size));
    await proxy.setFault(faults.latency(0, { perChunkMs: 20 }));
    const controller = new AbortController();
    const { body } = await store.get('big', { signal: controller.signal });
    let read = 0;
    const err = await (async () => {
      for await (const chunk of body) {
        read += (chunk as Buffer).byteLength;
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ kind: 'aborted', target: store.name });
    expect(read).toBeLessThan(size);
    expect(body.destroyed).toBe(true);
  });
});

describe("the SDK's response checksum (responseChecksumValidation: 'WHEN_SUPPORTED', the SDK's default)", () => {
  it('a body that does not match the checksum S3 sent fails with a ContentMismatchError (unavailable), never as good bytes', async () => {
    const client = new S3Client({
      ...s3.server.clientConfig,
      endpoint: proxy.origin,
      responseChecksumValidation: 'WHEN_SUPPORTED',
    });
    const store = createS3Store({ client, bucket });
    const genuine = patternBytes(2048, 41);
    await store.put('checksummed', genuine);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(genuine));
    const tampered = Buffer.from(genuine);
    tampered[100] = tampered[100]! ^ 0xff;
    // s3rver keeps no checksums: the proxy answers in its place, as S3 would with one.
    await proxy.setFault(
      faults.status(200, {
        match: { method: 'GET', path: /\/checksummed(\?|$)/ },
        body: tampered,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(tampered.length),
          etag: '"0123456789abcdef0123456789abcdef"',
          'x-amz-checksum-crc32': crc.toString('base64'),
          'x-amz-checksum-type': 'FULL_OBJECT',
        },
      }),
    );
    const err = await store
      .get('checksummed')
      .then(({ body }) => readAll(body))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentMismatchError);
    expect(err).toMatchObject({
      kind: 'unavailable',
      checksum: 'crc32',
      key: 'checksummed',
      target: store.name,
    });
    client.destroy();
  });
});

describe('multipart uploads through the fault proxy', () => {
  const MiB = 1024 * 1024;
  const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  const inChunks = (bytes: Uint8Array, size = 64 * 1024): Readable =>
    Readable.from(
      (function* () {
        for (let at = 0; at < bytes.byteLength; at += size) yield Buffer.from(bytes.subarray(at, at + size));
      })(),
    );

  it("sends a failed part again from its buffer (the SDK's retry): the object is whole", async () => {
    const store = createS3Store({
      client: s3.server.clientFor(proxy.origin, { sdkRetries: 2 }),
      bucket,
      partSize: 5 * MiB,
    });
    const big = patternBytes(12 * MiB + 3, 21);
    const partTwo: string[] = [];
    // The first UploadPart of part 2 answers 500; its retry and everything else pass.
    await proxy.setFault(
      faults.status(500, {
        match: (request) => {
          if (request.method !== 'PUT' || !/[?&]partNumber=2(&|$)/.test(request.url)) return false;
          partTwo.push(request.url);
          return partTwo.length === 1;
        },
      }),
    );
    const info = await store.put('retried-part', inChunks(big));
    expect(info.size).toBe(big.byteLength);
    expect(partTwo).toHaveLength(2);
    expect(proxy.counts.byFault.status).toBe(1);
    await proxy.setFault(faults.pass());
    expect(sha(await readAll((await store.get('retried-part')).body))).toBe(sha(big));
  });

  it('a part that fails for good cancels the upload: nothing written, the upload aborted, the body released', async () => {
    const store = storeViaProxy(5 * MiB);
    const seen: string[] = [];
    await proxy.setFault(
      faults.status(503, {
        match: (request) => {
          seen.push(`${request.method} ${request.url}`);
          return request.method === 'PUT' && /[?&]partNumber=3(&|$)/.test(request.url);
        },
      }),
    );
    const body = inChunks(patternBytes(17 * MiB, 22));
    const err = await store.put('failed-part', body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'throttled', target: store.name }); // S3's 503 SlowDown
    await waitFor(() => body.destroyed);
    await waitFor(() => seen.some((r) => r.startsWith('DELETE ') && r.includes('uploadId=')));
    expect(seen.some((r) => r.startsWith('POST ') && r.includes('uploadId='))).toBe(false); // never completed
    await proxy.setFault(faults.pass());
    expect(await store.exists('failed-part')).toBe(false);
  });

  it("a body stream that fails after two parts is the caller's failure (invalid): nothing written, upload aborted", async () => {
    const store = storeViaProxy(5 * MiB);
    const seen: string[] = [];
    await proxy.setFault(
      faults.pass({
        match: (request) => {
          seen.push(`${request.method} ${request.url}`);
          return false;
        },
      }),
    );
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 11; i++) yield patternBytes(MiB, 30 + i);
        throw new Error('the disk went away');
      })(),
    );
    const err = await store.put('failed-stream', body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'invalid', target: store.name });
    expect((err as Error).message).toContain('the disk went away');
    await waitFor(() => seen.some((r) => r.startsWith('DELETE ') && r.includes('uploadId=')));
    expect(seen.filter((r) => r.startsWith('PUT ') && r.includes('partNumber='))).toHaveLength(2);
    expect(await store.exists('failed-stream')).toBe(false);
  });

  it('a size hint the stream does not keep fails before the upload completes: nothing written', async () => {
    const store = storeViaProxy(5 * MiB);
    const big = patternBytes(11 * MiB, 23);
    const err = await store.put('short-stream', inChunks(big), { size: 200 * MiB }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid', argument: 'size' });
    expect(await store.exists('short-stream')).toBe(false);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
