import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AllTargetsFailedError } from '@failover/core';
import {
  createFileJournal,
  createMultiCloudStore,
  getBytes,
  IntegrityError,
  type MultiCloudStore,
  QuorumNotReachedError,
  readAll,
} from '@failover/storage';
import { faults } from '@failover/testkit';
import { describe, expect, it, vi } from 'vitest';
import {
  bytesFor,
  expectConverged,
  freshBuckets,
  multiStore,
  snapshotJournal,
  testFailover,
  untilRepaired,
  useClouds,
  Workload,
} from './harness.js';

describe('multi-cloud store: crashes, total outages, concurrent writers, corruption, quorum', () => {
  const env = useClouds();
  const { stores } = env;

  async function open(label: string, options: Parameters<typeof multiStore>[2] = {}) {
    const buckets = await freshBuckets(env.clouds, label);
    const made = await multiStore(env.clouds, buckets, options);
    stores.push(made.store);
    return { ...made, buckets };
  }

  it('a crash in the middle of an outage loses nothing: a new store on the same journal repairs everything', async () => {
    // No repair of its own: this process is about to die.
    const { store, buckets, journalDir } = await open('crash', {
      writes: 'mirror',
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
    });
    const w = new Workload(store);
    await w.round('before', 3);
    await env.clouds.proxies[1].setFault(faults.dns()); // GCS stops resolving
    await w.round('during', 4);
    expect(store.status().journal.backlog).toBeGreaterThan(0);
    // The process dies now: what survives is the journal file as it is on disk (no close, no flush).
    const crashDir = await snapshotJournal(journalDir, env.clouds);
    await env.clouds.proxies[1].setFault(faults.pass());

    const restarted = createMultiCloudStore({
      targets: buckets.viaProxy,
      journal: createFileJournal({ dir: crashDir }),
      failover: testFailover(),
      // Repair is run by hand below, to check what the journal alone knows first.
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      reads: { bufferBytes: 64 * 1024 },
    });
    stores.push(restarted);
    await w.verifyReads(restarted);
    await w.verifyList(restarted);
    expect(restarted.status().journal.backlog).toBe(store.status().journal.backlog);
    const report = await restarted.repair();
    expect(report).toMatchObject({ failed: [], backlog: 0 });
    expect(report.repaired).toBeGreaterThan(0);
    await expectConverged(buckets.direct, w);
  });

  it('every target down: the write fails, nothing is acknowledged or journaled, nothing appears later', async () => {
    const { store, buckets } = await open('alldown', { writes: 'primary' });
    await store.put('w/kept', 'before');
    await untilRepaired(store);
    await Promise.all(env.clouds.proxies.map((p) => p.setFault(faults.dns())));
    await expect(store.put('w/lost', 'never acknowledged')).rejects.toBeInstanceOf(AllTargetsFailedError);
    await expect(store.delete('w/kept')).rejects.toBeInstanceOf(AllTargetsFailedError);
    await expect(store.get('w/kept')).rejects.toBeInstanceOf(AllTargetsFailedError);
    await expect(store.head('w/kept')).rejects.toBeInstanceOf(AllTargetsFailedError);
    const listing = (async () => {
      for await (const _ of store.list()) {
        // nothing
      }
    })();
    await expect(listing).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(store.status().journal.backlog).toBe(0);
    await Promise.all(env.clouds.proxies.map((p) => p.setFault(faults.pass())));
    await new Promise((r) => setTimeout(r, 600)); // breakers half-open
    expect(await store.exists('w/lost')).toBe(false);
    expect((await getBytes(store, 'w/kept')).toString()).toBe('before');
    // Straight from each server. A GCS download the store gave up on above no longer resets the
    // other requests of the process's GCS clients (docs/gcs.md); a read that fails on a loaded
    // machine (its response bound) is still asked again.
    for (const d of buckets.direct) {
      await vi.waitFor(async () => expect(await d.head('w/lost')).toBeNull(), {
        timeout: 10_000,
        interval: 100,
      });
    }
  });

  it('concurrent writers: a newer version is never overwritten by repair; every target converges on one version', async () => {
    const { store: a, buckets } = await open('writers', { writes: 'mirror', writerId: 'writer-a' });
    const b = createMultiCloudStore({
      targets: buckets.viaProxy,
      journal: createFileJournal({ dir: `${env.clouds.tmp}/writer-b-${Date.now()}` }),
      writes: 'mirror',
      writerId: 'writer-b',
      failover: testFailover(),
      repair: { intervalMs: 250, delayMs: 20 },
    });
    stores.push(b);
    const conflicts: string[] = [];
    a.on('conflict', (e) => conflicts.push(`${e.key}@${e.target}`));

    // In turn: A writes while Azure is down (journaled for Azure), then B writes a newer version
    // everywhere. A's repair must not put its older version over B's on Azure.
    await env.clouds.proxies[2].setFault(faults.refuse());
    const older = await a.put('w/turn', 'from A, older');
    await env.clouds.proxies[2].setFault(faults.pass());
    await new Promise((r) => setTimeout(r, 5));
    const newer = await b.put('w/turn', 'from B, newer');
    expect(newer.version! > older.version!).toBe(true);
    await untilRepaired(a);
    expect(conflicts).toContain('w/turn@azure');
    for (const d of buckets.direct) {
      expect((await d.head('w/turn'))?.metadata.fo_version, d.name).toBe(newer.version);
      expect((await getBytes(d, 'w/turn')).toString()).toBe('from B, newer');
    }

    // At once, on the same keys, with an outage in the middle: each target keeps whichever
    // write reached it last, so they may disagree; repair never regresses a target, and
    // reconcile makes them agree on the newest version any of them holds.
    const acked = new Map<string, Map<string, Buffer>>();
    const write = async (s: MultiCloudStore, key: string, gen: number) => {
      const bytes = bytesFor(key, gen);
      const info = await s.put(key, bytes);
      acked.set(key, (acked.get(key) ?? new Map()).set(info.version!, bytes));
    };
    const keys = ['w/c0', 'w/c1', 'w/c2', 'w/c3'];
    await Promise.all(keys.flatMap((k, i) => [write(a, k, i), write(b, k, 100 + i)]));
    await env.clouds.proxies[2].setFault(faults.refuse());
    await Promise.all(keys.flatMap((k, i) => [write(b, k, 200 + i), write(a, k, 300 + i)]));
    await env.clouds.proxies[2].setFault(faults.pass());
    await untilRepaired(a);
    await untilRepaired(b);
    // The newest intact version on any target (s3rver does not write content and metadata
    // atomically: racing PUTs can leave one write's bytes under the other's metadata, which the
    // checksum exposes as a corrupt copy).
    const before = new Map<string, string>();
    for (const key of keys) {
      let best = '';
      for (const d of buckets.direct) {
        const info = await d.head(key);
        const bytes = info === null ? undefined : await getBytes(d, key);
        const intact =
          bytes !== undefined &&
          createHash('sha256').update(bytes).digest('hex') === info!.metadata.fo_sha256;
        if (intact && info!.metadata.fo_version! > best) best = info!.metadata.fo_version!;
      }
      before.set(key, best);
    }
    await a.reconcile({ prefix: 'w/', verify: true });
    expect(await a.reconcile({ prefix: 'w/', dryRun: true })).toMatchObject({
      changes: [],
      inSync: keys.length + 1,
    });
    for (const key of keys) {
      const winner = before.get(key)!;
      const bytes = acked.get(key)!.get(winner);
      expect(bytes, `${key}: the surviving version was acknowledged`).toBeDefined();
      for (const d of buckets.direct) {
        expect((await d.head(key))?.metadata.fo_version, `${key} on ${d.name}`).toBe(winner);
        expect((await getBytes(d, key)).equals(bytes!)).toBe(true);
      }
      expect((await getBytes(a, key)).equals(bytes!)).toBe(true);
      expect((await getBytes(b, key)).equals(bytes!)).toBe(true);
    }
  });

  it('a copy corrupted behind the store (same metadata, other bytes, through the S3 SDK) is detected and repaired', async () => {
    const { store, buckets } = await open('corrupt', { writes: 'mirror' });
    const small = bytesFor('w/doc', 1, 1000);
    const large = bytesFor('w/big', 2, 200 * 1024);
    await store.put('w/doc', small);
    await store.put('w/big', large);
    const s3 = env.clouds.s3.client;
    for (const [key, size] of [
      ['w/doc', 1000],
      ['w/big', 200 * 1024],
    ] as const) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: buckets.name, Key: key }));
      await s3.send(
        new PutObjectCommand({
          Bucket: buckets.name,
          Key: key,
          Body: Buffer.alloc(size, 7),
          Metadata: head.Metadata,
        }),
      );
    }
    const detected: string[] = [];
    store.on('integrityError', (e) => detected.push(`${e.key}@${e.target}`));

    // Small: verified before get returns, so the read moves to GCS.
    const doc = await store.get('w/doc');
    expect(doc.info.target).toBe('gcp');
    expect((await readAll(doc.body)).equals(small)).toBe(true);
    // Large: streamed; the stream fails at its end instead of ending cleanly.
    const big = await store.get('w/big');
    expect(big.info.target).toBe('aws');
    await expect(readAll(big.body)).rejects.toBeInstanceOf(IntegrityError);
    expect(detected.sort()).toEqual(['w/big@aws', 'w/doc@aws']);
    // Queued for repair: the next read avoids the bad copy, and repair rewrites it.
    expect((await getBytes(store, 'w/big')).equals(large)).toBe(true);
    await untilRepaired(store);
    for (const [key, bytes] of [
      ['w/doc', small],
      ['w/big', large],
    ] as const) {
      const got = await s3.send(new GetObjectCommand({ Bucket: buckets.name, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes), key).toBe(true);
    }
    expect(store.status().counts.integrityErrors).toBe(2);
  });

  it('reconcile with verify finds a corrupt GCS copy; without journal, reconcile fixes missing and older copies', async () => {
    const { store, buckets } = await open('reconcile', { writes: 'mirror' });
    const w = new Workload(store);
    await w.round('r', 4);
    const keys = [...w.expected.keys()];
    // Divergence made behind the store's back: a copy deleted on Azure, an older copy on GCS.
    await buckets.direct[2].delete(keys[0]!);
    const old = await buckets.direct[1].head(keys[1]!);
    await buckets.direct[1].put(keys[1]!, 'older', {
      metadata: {
        ...old!.metadata,
        fo_version: `${'0'.repeat(15)}-000000-old`,
        fo_sha256: createHash('sha256').update('older').digest('hex'),
      },
    });
    // A corrupt GCS copy: other bytes, the same metadata.
    const meta = await buckets.direct[1].head(keys[2]!);
    await env.clouds.gcs.client
      .bucket(buckets.name)
      .file(keys[2]!)
      .save(Buffer.from('corrupt'), { metadata: { metadata: meta!.metadata } });

    const dry = await store.reconcile({ prefix: 'w/', dryRun: true });
    expect(dry.changes.map((c) => [c.key, c.targets])).toEqual([
      [keys[0], ['azure']],
      [keys[1], ['gcp']],
    ]);
    const report = await store.reconcile({ prefix: 'w/', verify: true });
    expect(report).toMatchObject({ corrupt: 1, copied: 3, errors: [] });
    await untilRepaired(store);
    await expectConverged(buckets.direct, w);
  });

  it('quorum arithmetic at the edges, with real servers', async () => {
    // The hold (a target silent while its peers answer) is off: on a loaded machine a starved
    // server's first answers can be late enough to put it on hold, and this test is about the count.
    const q2 = await open('q2', { writes: { quorum: 2 }, unresponsive: false });
    await env.clouds.proxies[0].setFault(faults.refuse());
    await expect(q2.store.put('w/a', 'one down')).resolves.toMatchObject({ target: 'gcp' });
    await env.clouds.proxies[1].setFault(faults.dns());
    const err = await q2.store.put('w/b', 'two down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumNotReachedError);
    expect(err).toMatchObject({ required: 2, succeeded: ['azure'] });

    const q1 = await open('q1', { writes: { quorum: 1 }, unresponsive: false });
    await expect(q1.store.put('w/c', 'two down, one is enough')).resolves.toMatchObject({ target: 'azure' });
    await env.clouds.proxies[2].setFault(faults.refuse());
    await expect(q1.store.put('w/d', 'all down')).rejects.toBeInstanceOf(AllTargetsFailedError);

    await Promise.all(env.clouds.proxies.map((p) => p.setFault(faults.pass())));
    const q3 = await open('q3', { writes: { quorum: 3 }, unresponsive: false });
    await expect(q3.store.put('w/e', 'all up')).resolves.toMatchObject({ target: 'aws' });
    await env.clouds.proxies[2].setFault(faults.reset());
    await expect(q3.store.put('w/f', 'one down')).rejects.toBeInstanceOf(QuorumNotReachedError);
  });

  it('drill: a per-target report, straight to each cloud', async () => {
    const { store, buckets } = await open('drill');
    await env.clouds.proxies[0].setFault(faults.dns());
    const report = await store.drill();
    expect(report.ok).toBe(false);
    expect(report.targets.map((t) => [t.target, t.ok, t.error?.step, t.error?.kind])).toEqual([
      ['aws', false, 'put', 'network'],
      ['gcp', true, undefined, undefined],
      ['azure', true, undefined, undefined],
    ]);
    await env.clouds.proxies[0].setFault(faults.pass());
    const ok = await store.drill();
    expect(ok.ok).toBe(true);
    for (const t of ok.targets)
      expect(Object.keys(t.stepsMs)).toEqual(['put', 'get', 'verify', 'head', 'delete']);
    // (The store's epoch marker, `_failover/epoch`, stays: only the canaries must be gone.)
    for (const d of buckets.direct) {
      for await (const _ of d.list({ prefix: '_failover/drill/' }))
        throw new Error(`a canary was left on ${d.name}`);
    }
  });
});
