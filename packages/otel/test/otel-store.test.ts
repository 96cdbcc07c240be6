import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import {
  createFileJournal,
  createMultiCloudStore,
  getBytes,
  type Journal,
  type MultiCloudStore,
} from '@failover/storage';
import { faults, type LocalClouds, startLocalClouds } from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallObserver, instrument, METRICS, SPANS } from '../src/index.js';
import { pointOf, startSdk, type TestSdk } from './sdk.js';

/**
 * A multi-cloud store over the three local clouds (S3 primary, GCS, Azure), instrumented with a
 * real OpenTelemetry SDK: an outage of the primary (connection refused at its fault proxy), the
 * journal backlog it leaves, the repair that clears it, and a drill, as metrics and spans.
 */
describe('instrument(store) + createCallObserver against the local clouds', () => {
  let clouds: LocalClouds;
  let sdk: TestSdk;
  let store: MultiCloudStore;
  let journal: Journal;
  let dir: string;
  let stop: () => void;
  let passes = 0;
  const bucket = `otel-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    clouds = await startLocalClouds({ buckets: [bucket] });
    dir = await mkdtemp(join(tmpdir(), 'failover-otel-'));
    sdk = startSdk();
    journal = createFileJournal({ dir });
    store = createMultiCloudStore({
      name: 'docs',
      targets: [
        createS3Store({ client: clouds.app.s3, bucket, name: 'aws' }),
        createGcsStore({ bucket: clouds.app.gcs.bucket(bucket), name: 'gcp' }),
        createAzureBlobStore({ container: clouds.app.azure.getContainerClient(bucket), name: 'azure' }),
      ],
      writes: 'mirror',
      journal,
      // settleMs 0: under load a refused request can end as answerless (a reset after sending), and
      // the 10 s settle window would defer this test's repair; settling is tested in storage.
      repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0 },
      failover: {
        attemptTimeoutMs: 5000,
        retry: { maxAttempts: 1 },
        // No breaker trips (two refused connections in a row would open S3's for 10 s, and the
        // repair test below needs it right after the outage).
        breaker: { volumeThreshold: 100, consecutiveFailures: 0 },
        observer: createCallObserver({
          name: 'docs',
          tracerProvider: sdk.tracerProvider,
          meterProvider: sdk.meterProvider,
        }),
      },
    });
    stop = instrument(store, { meterProvider: sdk.meterProvider, journal });
    // Passes the store finished: under load a refused request can end answerless, and its
    // settle time (0 here) asks for a pass of its own during the outage, besides the test's.
    store.on('repairFinished', () => {
      passes++;
    });
  });

  afterAll(async () => {
    stop?.();
    await store?.close();
    await sdk?.shutdown();
    await clouds?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const base = { 'failover.router': 'docs' };

  it('an outage of the primary: failed attempts by kind, a journaled write, a backlog with an age', async () => {
    await store.put('before.txt', Buffer.from('written before the outage'));
    await clouds.proxies.aws.setFault(faults.refuse());
    await store.put('a.txt', Buffer.from('written during the outage'));
    // A read of a key nothing is pending for asks the primary first, then fails over.
    expect((await getBytes(store, 'before.txt')).toString()).toBe('written before the outage');

    const m = await sdk.collect();
    expect(pointOf(m, METRICS.journaled, { ...base, 'failover.storage.op': 'put' })).toBe(1);
    expect(pointOf(m, METRICS.journalBacklog, base)).toBe(1);
    expect(pointOf(m, METRICS.journalPendingKeys, base)).toBe(1);
    expect(pointOf(m, METRICS.targetBehind, { ...base, 'failover.target': 'aws' })).toBe(1);
    expect(pointOf(m, METRICS.targetBehind, { ...base, 'failover.target': 'gcp' })).toBe(0);
    expect(pointOf(m, METRICS.journalOldestAge, base)).toBeGreaterThanOrEqual(0);
    expect(
      pointOf(m, METRICS.attempts, {
        ...base,
        'failover.target': 'aws',
        'failover.outcome': 'failure',
        'failover.failure.kind': 'network',
      }),
    ).toBeGreaterThanOrEqual(2);
    const failovers = (m.get(METRICS.failovers) ?? []).filter((p) => p.attributes['failover.from'] === 'aws');
    expect(failovers.length).toBeGreaterThanOrEqual(1);
    expect(failovers[0]!.attributes['failover.failure.kind']).toBe('network');

    // The read's call span has a failed S3 attempt (network), then a successful one elsewhere.
    const spans = sdk.spans.getFinishedSpans();
    const readCall = spans.filter((s) => s.name === SPANS.call).at(-1)!;
    const children = spans.filter(
      (s) => s.name === SPANS.attempt && s.parentSpanContext?.spanId === readCall.spanContext().spanId,
    );
    expect(children[0]!.attributes).toMatchObject({
      'failover.target': 'aws',
      'failover.failure.kind': 'network',
    });
    const served = children.find((c) => c.attributes['failover.outcome'] === 'success');
    expect(served?.attributes['failover.target']).not.toBe('aws');
    expect(readCall.attributes['failover.target']).toBe(served?.attributes['failover.target']);
    const dump = JSON.stringify(spans.map((s) => s.attributes));
    expect(dump).not.toContain('written');
    expect(dump).not.toContain('.txt');
  });

  it('repair after the outage: repairs by target, a finished pass, the backlog back to 0', async () => {
    await clouds.proxies.aws.setFault(faults.pass());
    const report = await store.repair();
    expect(report.repaired).toBe(1);
    const m = await sdk.collect();
    expect(
      pointOf(m, METRICS.repairs, { ...base, 'failover.target': 'aws', 'failover.storage.op': 'put' }),
    ).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(pointOf(m, METRICS.repairPasses, base)).toBe(passes);
    expect(pointOf(m, METRICS.journalBacklog, base)).toBe(0);
    expect(pointOf(m, METRICS.targetBehind, { ...base, 'failover.target': 'aws' })).toBe(0);
    expect(pointOf(m, METRICS.journalOldestAge, base)).toBe(0);
    const s3 = createS3Store({ client: clouds.direct.s3, bucket, name: 'aws-direct' });
    expect((await getBytes(s3, 'a.txt')).toString()).toBe('written during the outage');
  });

  it('a drill: one result per target, failures with their step and kind', async () => {
    await clouds.proxies.azure.setFault(faults.refuse());
    try {
      await store.drill({ timeoutMs: 5000 });
    } finally {
      await clouds.proxies.azure.setFault(faults.pass());
    }
    const m = await sdk.collect();
    expect(
      pointOf(m, METRICS.drills, { ...base, 'failover.target': 'aws', 'failover.outcome': 'success' }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.drills, { ...base, 'failover.target': 'gcp', 'failover.outcome': 'success' }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.drills, {
        ...base,
        'failover.target': 'azure',
        'failover.outcome': 'failure',
        'failover.storage.drill.step': 'put',
      }),
    ).toBe(1);
    expect(
      (pointOf(m, METRICS.drillDuration, { ...base, 'failover.target': 'aws' }) as { count: number }).count,
    ).toBe(1);
  });
});
