import { type BlobStore, StorageError } from '@failover/storage';
import { type FaultProxy, faults, type GcsLocalServer } from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBehindProxy } from './helpers.js';

let server: GcsLocalServer;
let proxy: FaultProxy;
let store: BlobStore;

const SIGNATURE = 'a1b2c3d4e5f6SIGNATURE';
const TOKEN = 'ya29.SECRET-ACCESS-TOKEN';
const SESSION = 'ADPycdSECRETSESSIONID';
const LEAKY = [
  `Access denied for https://storage.googleapis.com/b/o.bin?X-Goog-Algorithm=GOOG4-RSA-SHA256`,
  `&X-Goog-Credential=svc%40p.iam.gserviceaccount.com&X-Goog-Signature=${SIGNATURE}`,
  ` and https://storage.googleapis.com/upload/storage/v1/b/b/o?access_token=${TOKEN}`,
  `&upload_id=${SESSION}`,
].join('');

beforeAll(async () => {
  ({ server, proxy, store } = await startBehindProxy('redact'));
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

function expectClean(err: unknown): void {
  expect(err).toBeInstanceOf(StorageError);
  const text = `${(err as Error).message} ${String(err)}`;
  for (const secret of [SIGNATURE, TOKEN, SESSION, 'svc%40p.iam']) expect(text).not.toContain(secret);
}

describe('redaction', () => {
  it.each<[string, number, () => Promise<unknown>]>([
    ['head', 403, () => store.head('k')],
    ['get', 403, () => store.get('k')],
    ['put (multipart)', 403, () => store.put('k', 'x')],
    ['put (resumable)', 403, () => store.put('k', Buffer.alloc(2048))],
    ['put (resumable, retryable status)', 503, () => store.put('k', Buffer.alloc(2048))],
    [
      'list',
      400,
      async () => {
        for await (const _ of store.list()) {
          // nothing
        }
      },
    ],
    ['copy', 403, () => store.copy('a', 'b')],
  ])('keeps signatures, tokens and session ids out of %s errors', async (_name, status, run) => {
    await proxy.setFault(faults.status(status, { message: LEAKY }));
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expectClean(err);
    // The message still says what happened.
    expect((err as Error).message).toMatch(/GCS|Precondition|not found/i);
  });

  it('redacts the resumable session URI when the data request fails', async () => {
    await proxy.setFault(faults.status(503, { message: LEAKY, match: { method: 'PUT' } }));
    const err = await store.put('k', Buffer.alloc(2048)).catch((e: unknown) => e);
    expectClean(err);
    expect((err as Error).message).not.toMatch(/upload_id=(?!\[redacted\])/);
  });
});
