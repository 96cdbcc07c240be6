import { inspect } from 'node:util';
import {
  type BlobStore,
  createMemoryJournal,
  createMultiCloudStore,
  type MultiCloudEventName,
  type MultiCloudStore,
} from '@failover/storage';
import { CREDENTIAL_SHAPES, type CredentialShape, faults } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';

// Every credential shape, echoed by each cloud's error body and response headers, must never reach
// what the library throws, emits or reports.
const GCS_TOKEN = 'ya29.gcsBearerSECRET';
const EVENTS: readonly MultiCloudEventName[] = [
  'failover',
  'open',
  'halfOpen',
  'close',
  'retry',
  'hedge',
  'rejected',
  'budgetExhausted',
  'journaled',
  'repaired',
  'conflict',
  'integrityError',
  'error',
];

let clouds: TargetOrderClouds;
let stores: readonly [BlobStore, BlobStore, BlobStore];
let multi: MultiCloudStore;
const seen: string[] = [];

beforeAll(async () => {
  clouds = await startTargetOrderClouds({ hostnames: { aws: false, gcp: false, azure: false } });
  const bucket = `secrets-${process.pid}`;
  await Promise.all([
    clouds.s3.createBucket(bucket),
    clouds.gcs.createBucket(bucket),
    clouds.azure.createBucket(bucket),
  ]);
  // The GCS client sends an OAuth bearer token, as it does against the real service.
  const withToken = (reqOpts: { headers?: unknown }) => {
    reqOpts.headers = {
      ...(reqOpts.headers as Record<string, string>),
      Authorization: `Bearer ${GCS_TOKEN}`,
    };
    return reqOpts;
  };
  clouds.app.gcs.interceptors.push({ request: withToken as never });
  stores = cloudStores(bucket, clouds.app);
  multi = createMultiCloudStore({
    targets: stores,
    journal: createMemoryJournal(),
    failover: { retry: { maxAttempts: 1 } },
    repair: { intervalMs: 60_000 },
  });
  for (const name of EVENTS) {
    multi.on(name, (payload) => seen.push(inspect(payload, { depth: Number.POSITIVE_INFINITY })));
  }
}, 120_000);

afterAll(async () => {
  await multi?.close();
  await clouds?.stop();
});

beforeEach(async () => {
  for (const p of clouds.proxies) await p.setFault(faults.pass());
  seen.length = 0;
});

/** Every way the error can be looked at. */
function views(err: unknown): string {
  const e = err as Error;
  return [
    e.message,
    e.stack,
    String(err),
    inspect(err, { depth: Number.POSITIVE_INFINITY }),
    inspect(err, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(err),
  ].join('\n');
}

function expectNoSecret(text: string, shape: CredentialShape): void {
  for (const secret of shape.secrets) expect(text, `${shape.name}: ${secret}`).not.toContain(secret);
  expect(text).not.toContain(GCS_TOKEN);
  // The SDKs' own signatures (SigV4, SharedKey) must not be there either.
  expect(text).not.toMatch(/AWS4-HMAC-SHA256 Credential=(?!\[redacted)/);
  expect(text).not.toMatch(/SharedKey [\w-]+:/);
}

/** The fault: the shape in the error body and in a response header. */
function echo(shape: CredentialShape, status = 403) {
  return faults.status(status, {
    message: shape.text,
    headers: { 'x-debug-echo': shape.text.replace(/[\r\n]+/g, ' ') },
  });
}

async function failure(call: () => Promise<unknown>): Promise<unknown> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err;
}

const CLOUD_NAMES = ['aws (S3)', 'gcp (GCS)', 'azure (Azure Blob)'] as const;

describe.each(CLOUD_NAMES.map((name, i) => [name, i] as const))('%s errors', (_name, i) => {
  it.each(CREDENTIAL_SHAPES.map((s) => [s.name, s] as const))('never carry %s', async (_shape, shape) => {
    await clouds.proxies[i]!.setFault(echo(shape));
    const store = stores[i]!;
    const errors = [
      await failure(() => store.get('k')),
      await failure(() => store.put('k', 'x')),
      await failure(() => store.copy('a', 'b')),
    ];
    for (const err of errors) expectNoSecret(views(err), shape);
  });

  it('keep no SDK request, response or config object in the cause chain', async () => {
    await clouds.proxies[i]!.setFault(faults.status(503));
    const err = (await failure(() => stores[i]!.head('k'))) as Error;
    let cause: unknown = err.cause;
    expect(cause).toBeInstanceOf(Error);
    while (cause instanceof Error) {
      for (const field of ['request', 'response', 'config', '$response', 'options']) {
        expect(Object.hasOwn(cause, field), field).toBe(false);
      }
      cause = cause.cause;
    }
  });
});

describe('the raw GCS SDK error holds the bearer token (so the tests above can see a leak)', () => {
  it('is reachable at err.response.request.headers', async () => {
    await clouds.proxies[1]!.setFault(faults.status(403));
    const bucket = clouds.app.gcs.bucket(`secrets-${process.pid}`);
    const raw = await bucket
      .file('k')
      .getMetadata()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(inspect(raw, { depth: Number.POSITIVE_INFINITY })).toContain(GCS_TOKEN);
  });
});

describe('multi-cloud store over the three', () => {
  it.each(CREDENTIAL_SHAPES.map((s) => [s.name, s] as const))(
    'AllTargetsFailedError, events and status never carry %s',
    async (_shape, shape) => {
      for (const p of clouds.proxies) await p.setFault(echo(shape, 500));
      const errors = [await failure(() => multi.get('k')), await failure(() => multi.head('k'))];
      for (const err of errors) expectNoSecret(views(err), shape);
      expectNoSecret(seen.join('\n'), shape);
      expectNoSecret(inspect(multi.status(), { depth: Number.POSITIVE_INFINITY }), shape);
    },
  );
});
