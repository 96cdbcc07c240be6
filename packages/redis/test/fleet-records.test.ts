import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileJournal,
  createMultiCloudStore,
  getBytes,
  type MultiCloudStore,
  StorageError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, withLocalFallback } from '../src/index.js';
import { clientOf, isReady, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

/** How far behind the slow instance's clock runs (ms). */
const SKEW_MS = 60_000;

async function collectBody(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * Two instances of a fleet on one Redis journal, each with its own local fallback (the file
 * journal), over three clouds.
 */
describe('a fleet on Redis: what an instance wrote while Redis was down', () => {
  // A write one instance completes on every cloud while Redis is down is pending nowhere (no
  // target lacks it), but its record must still reach Redis when the fallback merges back: the
  // key's high-water mark orders the next write of another instance whose clock is behind. Without
  // it, that instance's acknowledged overwrite was stamped older than the write it replaced, and
  // once a cloud missed it, reads and repair took the replaced one back.
  it('reaches Redis once it is back, also when every cloud took it: a later overwrite by an instance whose clock is behind still wins', async () => {
    const { redis, aws, gcs, azure, open } = await fleet();
    const slow = await open('slow', { now: () => Date.now() - SKEW_MS });
    // 'mirror' mode: its record is made once every cloud answered (none missing).
    const fast = await open('fast', { writes: 'mirror' });

    await redis.kill();
    await fast.store.put('k', Buffer.from('replaced'));
    expect(fast.journal.primaryAway()).toBe(true);
    await redis.restart();
    await until(() => isReady(fast.client) && isReady(slow.client));
    await mergeWithRetries(fast.journal);
    expect(fast.journal.localBacklog).toBe(0);

    // The slow instance overwrites the key blindly while Azure is down, then Azure is repaired.
    azure.down = 'network';
    await slow.store.put('k', Buffer.from('newest'));
    azure.down = undefined;
    recoverAll(slow.store, [aws, gcs, azure]);
    recoverAll(fast.store, [aws, gcs, azure]);
    await slow.store.repair();
    for (const s of [slow.store, fast.store]) expect((await getBytes(s, 'k')).toString()).toBe('newest');
    for (const t of [aws, gcs, azure])
      expect((await getBytes(t.inner, 'k')).toString(), t.name).toBe('newest');
  });
});

describe('a fleet on Redis: repair and reconcile report lost only what was lost', () => {
  // Fleet soak seed 27512: instance 1's degraded put (on Azure alone), deleted by instance 0 (on
  // Azure alone); instance 1's reconcile, its index holding only its own put, found the version
  // on no cloud and reported it lost.
  it("does not report lost a version another instance deleted since (its entry is not in this instance's index)", async () => {
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a');
    const b = await open('b');
    await a.store.put('k', Buffer.from('first')); // on every cloud
    aws.down = 'network';
    gcs.down = 'network';
    await a.store.put('k', Buffer.from("a's k")); // degraded: on Azure alone
    await b.store.delete('k'); // degraded: on Azure alone
    aws.down = undefined;
    gcs.down = undefined;
    recoverAll(a.store, [aws, gcs, azure]);
    const report = await a.store.reconcile();
    expect(a.lost).toEqual([]);
    expect(report.lost).toBe(0);
    await expect(getBytes(a.store, 'k')).rejects.toMatchObject({ kind: 'not_found' });
    // What is still to do is the delete's (Redis records it for the clouds it did not reach).
    recoverAll(b.store, [aws, gcs, azure]);
    await b.store.repair();
    expect((await a.journal.pending()).filter((e) => e.op === 'put')).toEqual([]);
    for (const t of [aws, gcs, azure])
      await expect(getBytes(t.inner, 'k')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it("does not report lost a version another instance deleted while that instance's next write of the key is in flight (the key's mark is its intent; what was recorded before it says)", async () => {
    // Fleet soak seed 27604: instance 1 deleted the key (acknowledged), then its next put of the
    // key was in flight; instance 0's repair found its older version on no cloud, the key's mark
    // naming that put's intent, and reported it lost.
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a');
    const b = await open('b');
    aws.down = 'network';
    await a.store.put('k', Buffer.from("a's k")); // journaled: AWS lacks it
    aws.down = undefined;
    recoverAll(a.store, [aws, gcs, azure]);
    // While A's repair reads the key's copy (its pass already holds its entry), B deletes the key
    // on every cloud and starts its next put of it, held on every cloud: that put's intent is the
    // key's mark, and the acknowledged delete is behind it.
    let land!: () => void;
    const gate = new Promise<void>((resolve) => {
      land = resolve;
    });
    let put: Promise<unknown> | undefined;
    gcs.beforeGet = async () => {
      await b.store.delete('k');
      for (const t of [aws, gcs, azure]) t.interpose = () => gate;
      put = b.store.put('k', Buffer.from("b's k"));
      while ((await b.journal.highWater?.('k'))?.intent !== true) await new Promise((r) => setTimeout(r, 5));
    };
    const during = await a.store.repair();
    expect(a.lost).toEqual([]);
    expect(during).toMatchObject({ lost: 0, deferred: 0 });
    land();
    await put;
    for (const t of [aws, gcs, azure]) t.interpose = undefined;
    const after = await a.store.repair();
    expect(a.lost).toEqual([]);
    expect(after).toMatchObject({ lost: 0, failed: [] });
    expect((await getBytes(a.store, 'k')).toString()).toBe("b's k");
  });

  // Fleet soak seed 27625: another instance's delete, sent while Redis was paused (its record kept
  // in that instance's local journal) and then stalled with it, removed the version before this
  // instance's repair could know: reported lost. A version found nowhere is now reported lost only
  // when it is still found nowhere repair.settleMs later.
  it.each([
    ["the other instance's delete reaches Redis meanwhile: not lost", true],
    ['nothing replaces it: lost, once settleMs has passed', false],
  ])('a version found on no cloud: %s', async (_name, deleted) => {
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a', { settleMs: 300 });
    const b = await open('b');
    await degradedOnAws(a.store, { aws, gcs, azure });
    await aws.inner.delete('k'); // B's delete, its record not in Redis yet (or a loss)
    const first = await a.store.repair();
    expect(first).toMatchObject({ lost: 0 });
    expect(first.deferred).toBeGreaterThan(0);
    if (deleted) await b.store.delete('k'); // its record reaches Redis
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await a.store.repair();
    expect(second.lost).toBe(deleted ? 0 : 1);
    expect(a.lost).toHaveLength(deleted ? 0 : 1);
  });

  // A version found nowhere, then found again (repair could not copy it yet), then gone again much
  // later: the second vanishing waits its own settle window (it was reported lost at once, by the
  // time of the first).
  it('a version found again and gone again later waits its own settleMs before it is reported lost', async () => {
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a', { settleMs: 300 });
    await open('b');
    await degradedOnAws(a.store, { aws, gcs, azure });
    const held = await aws.inner.get('k');
    const bytes = await collectBody(held.body);
    await aws.inner.delete('k');
    expect((await a.store.repair()).deferred).toBeGreaterThan(0); // first found nowhere
    await aws.inner.put('k', bytes, { metadata: held.info.metadata });
    // Found on AWS again; its copies fail (the next put on GCS and Azure): the entry stays pending.
    for (const t of [gcs, azure])
      t.interpose = () => Promise.reject(new StorageError('network', `${t.name}: the copy failed`));
    expect((await a.store.repair()).failed).toHaveLength(2);
    recoverAll(a.store, [aws, gcs, azure]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await aws.inner.delete('k');
    expect((await a.store.repair()).lost).toBe(0);
    expect(a.lost).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await a.store.repair()).lost).toBe(1);
    expect(a.lost).toHaveLength(1);
  });

  it('reconcile leaves a version found on no cloud to repair, which reports it lost once settleMs has passed (fleet soak seed 27634)', async () => {
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a', { settleMs: 300 });
    await open('b');
    await a.store.put('k', Buffer.from('first')); // on every cloud
    await degradedOnAws(a.store, { aws, gcs, azure });
    await aws.inner.delete('k'); // gone (another instance's delete not in Redis yet, or a loss)
    const reconciled = await a.store.reconcile();
    expect(reconciled.lost).toBe(0);
    expect(a.lost).toEqual([]);
    await a.store.repair(); // first found nowhere: deferred
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await a.store.repair()).lost).toBe(1);
    expect(a.lost).toHaveLength(1);
    // Settled as a delete at that version: the older copies never come back.
    await a.store.repair();
    await expect(getBytes(a.store, 'k')).rejects.toMatchObject({ kind: 'not_found' });
    for (const t of [gcs, azure])
      await expect(getBytes(t.inner, 'k')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('still reports lost a version no newer write replaced', async () => {
    const { aws, gcs, azure, open } = await fleet();
    const a = await open('a');
    await open('b');
    await a.store.put('k', Buffer.from('first')); // on every cloud
    aws.down = 'network';
    gcs.down = 'network';
    await a.store.put('k', Buffer.from("a's k")); // degraded: on Azure alone
    await azure.inner.delete('k'); // Azure loses it
    aws.down = undefined;
    gcs.down = undefined;
    recoverAll(a.store, [aws, gcs, azure]);
    const report = await a.store.reconcile();
    expect(report.lost).toBe(1);
    expect(a.lost).toHaveLength(1);
  });
});
/** A Redis server, three clouds, and `open(name)`: an instance of the fleet over them. */
async function fleet() {
  const redis = await redisServer({ persistence: 'aof-always' });
  const prefix = `lost:${randomBytes(6).toString('hex')}`;
  const aws = switchable('aws');
  const gcs = switchable('gcs');
  const azure = switchable('azure');
  const open = async (
    name: string,
    more: { writes?: 'mirror'; now?: () => number; settleMs?: number } = {},
  ) => {
    const client = await clientOf('node-redis', redis.url);
    const dir = await mkdtemp(join(tmpdir(), `failover-marks-${name}-`));
    later(() => rm(dir, { recursive: true, force: true }));
    const journal = withLocalFallback(
      createRedisJournal({ client, prefix, timeoutMs: 200 }),
      createFileJournal({ dir, fsync: false }),
    );
    const store = createMultiCloudStore({
      targets: [aws, gcs, azure],
      journal,
      ...(more.writes === undefined ? {} : { writes: more.writes }),
      ...(more.now === undefined ? {} : { now: more.now }),
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
      amnesia: false,
      repair: { intervalMs: false, delayMs: false, settleMs: more.settleMs ?? 0, onRecovery: false },
    });
    later(() => store.close());
    const lost: string[] = [];
    store.on('lost', (e) => lost.push(`${e.key}@${e.version}`));
    return { client, journal, store, lost };
  };
  return { redis, aws, gcs, azure, open };
}

/** `a's k` put with GCS and Azure down (degraded: on AWS alone), then every breaker closed. */
async function degradedOnAws(
  store: MultiCloudStore,
  { aws, gcs, azure }: Record<'aws' | 'gcs' | 'azure', SwitchableStore>,
): Promise<void> {
  gcs.down = 'network';
  azure.down = 'network';
  await store.put('k', Buffer.from("a's k"));
  gcs.down = undefined;
  azure.down = undefined;
  recoverAll(store, [aws, gcs, azure]);
}

/** Closes the breakers the outage opened on every target (as a successful probe would). */
function recoverAll(store: MultiCloudStore, targets: readonly SwitchableStore[]): void {
  for (const t of targets) store.recover(t.name);
}

/** A merge whose Redis call outlived its limit (scripts loaded again after the restart) is retried. */
async function mergeWithRetries(journal: { merge(): Promise<number> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await journal.merge();
      return;
    } catch (err) {
      if (attempt >= 20 || (err as { kind?: string }).kind !== 'timeout') throw err;
    }
  }
}
