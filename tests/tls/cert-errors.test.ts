import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createAzureBlobStore } from '@failover/azure-blob';
import { failedBeforeSending } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import { withFailover } from '@failover/http';
import { createS3Store } from '@failover/s3';
import {
  type BlobStore,
  createMemoryJournal,
  createMemoryStore,
  createMultiCloudStore,
  readAll,
} from '@failover/storage';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, S3RVER_CREDENTIALS } from '@failover/testkit';
import { Storage } from '@google-cloud/storage';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyPair, makeTestCerts, startTlsServer, type TestCerts, type TlsServer } from './certs.js';

// Issue 13: a certificate the client refuses is a connect failure on that target (kind network,
// never sent), so every adapter's call fails with it and the multi-cloud store fails over. Real
// HTTPS servers with certificates made by openssl; nothing behind them.

let certs: TestCerts;
const servers: TlsServer[] = [];
beforeAll(async () => {
  certs = await makeTestCerts();
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(pair: KeyPair): Promise<TlsServer> {
  const server = await startTlsServer(pair);
  servers.push(server);
  return server;
}

/** The three adapters over `origin`, with no SDK retries and the default (system) trust. */
function stores(origin: string): BlobStore[] {
  const s3 = new S3Client({
    endpoint: origin,
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
    forcePathStyle: true,
    maxAttempts: 1,
  });
  const gcs = new Storage({ apiEndpoint: origin, projectId: 'tls-test', retryOptions: { autoRetry: false } });
  const azure = new BlobServiceClient(
    `${origin}/${AZURITE_ACCOUNT_NAME}`,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY),
    { retryOptions: { maxTries: 1 } },
  );
  return [
    createS3Store({ client: s3, bucket: 'b' }),
    createGcsStore({ bucket: gcs.bucket('b') }),
    createAzureBlobStore({ container: azure.getContainerClient('b') }),
  ];
}

async function failure(call: () => Promise<unknown>): Promise<{ kind?: unknown; code?: unknown }> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  return err as { kind?: unknown; code?: unknown };
}

describe('a refused server certificate is a network failure on every adapter', () => {
  it.each([
    ['self-signed', 'DEPTH_ZERO_SELF_SIGNED_CERT', () => certs.selfSigned],
    ['signed by an unknown CA', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', () => certs.signed],
  ] as const)(
    '%s (%s): get, head and put fail with kind network, never sent',
    async (_label, code, pair) => {
      const server = await serve(pair());
      for (const store of stores(server.origin)) {
        for (const call of [() => store.get('k'), () => store.head('k'), () => store.put('k', 'v')]) {
          const err = await failure(call);
          expect({ target: store.name, kind: err.kind }).toEqual({ target: store.name, kind: 'network' });
          expect(failedBeforeSending(err), `${store.name}: ${String(err)}`).toBe(true);
          expect(JSON.stringify(collectCodes(err))).toContain(code);
        }
      }
    },
    60_000,
  );

  it.each([
    ['expired', 'CERT_HAS_EXPIRED', () => certs.expired],
    ['for another host name', 'ERR_TLS_CERT_ALTNAME_INVALID', () => certs.otherHost],
  ] as const)('%s (%s, from a trusted CA): S3 fails with kind network', async (_label, code, pair) => {
    const server = await serve(pair());
    const client = new S3Client({
      endpoint: server.origin,
      region: 'us-east-1',
      credentials: { ...S3RVER_CREDENTIALS },
      forcePathStyle: true,
      maxAttempts: 1,
      requestHandler: { httpsAgent: new https.Agent({ ca: certs.ca }) },
    });
    const store = createS3Store({ client, bucket: 'b' });
    const err = await failure(() => store.get('k'));
    expect(err.kind).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
    expect(JSON.stringify(collectCodes(err))).toContain(code);
  });

  it('the trusted, valid certificate is accepted (the server is reached and answers 503)', async () => {
    const server = await serve(certs.signed);
    const res = await new Promise<number | undefined>((resolve, reject) => {
      https.get(`${server.origin}/`, { ca: certs.ca }, (r) => resolve(r.statusCode)).on('error', reject);
    });
    expect(res).toBe(503);
  });
});

describe('failover past a refused certificate', () => {
  it('the multi-cloud store puts and gets on the next target while the first refuses its certificate', async () => {
    const server = await serve(certs.selfSigned);
    for (const first of stores(server.origin)) {
      const next = createMemoryStore({ name: 'memory' });
      const store = createMultiCloudStore({
        targets: [first, next],
        journal: createMemoryJournal(),
        repair: { intervalMs: false, delayMs: false },
      });
      try {
        await store.put('k', 'v');
        expect((await next.head('k'))?.size).toBe(1);
        expect((await readAll((await store.get('k')).body)).toString()).toBe('v');
      } finally {
        await store.close();
      }
    }
  }, 60_000);

  it('@failover/http moves a request to the next endpoint (expired certificate from a trusted CA)', async () => {
    const tls = await serve(certs.expired);
    const ok = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => ok.listen(0, '127.0.0.1', resolve));
    const api = withFailover(axios.create({ httpsAgent: new https.Agent({ ca: certs.ca }) }), {
      endpoints: [
        { name: 'tls', baseURL: tls.origin },
        { name: 'ok', baseURL: `http://127.0.0.1:${(ok.address() as AddressInfo).port}` },
      ],
      retry: { maxAttempts: 1 },
    });
    try {
      const res = await api.get('/x');
      expect(res.data).toBe('ok');
      expect(res.config.failover?.endpoint).toBe('ok');
    } finally {
      api.failover.close();
      ok.closeAllConnections();
      await new Promise<void>((resolve) => ok.close(() => resolve()));
    }
  });
});

/** Every `code` in an error's cause chain (the certificate code sits on the socket error). */
function collectCodes(err: unknown): unknown[] {
  const codes: unknown[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; cause?: unknown; message?: unknown };
    codes.push(e.code, e.message);
    current = e.cause;
  }
  return codes;
}
