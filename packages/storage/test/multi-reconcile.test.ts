import { getText } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { openMultiStore, plant, threeClouds, useMultiStores } from './multi-fixtures.js';
import { copiesOf, keysOf, type SwitchableStore } from './multi-helpers.js';

const { open, setup } = useMultiStores({ writes: 'mirror' });

const V_OLD = `${'0'.repeat(14)}1-000000-x`;
const V_NEW = `${'0'.repeat(14)}2-000000-x`;

describe('reconcile', () => {
  it('reports divergence in a dry run without changing anything, then fixes it', async () => {
    const { store, targets } = setup();
    await store.put('p/in-sync', 'same');
    await plant(targets[0]!, 'p/missing', 'only on aws', V_NEW);
    await plant(targets[0]!, 'p/older', 'new', V_NEW);
    await plant(targets[1]!, 'p/older', 'old', V_OLD);
    await plant(targets[2]!, 'p/older', 'new', V_NEW);
    await plant(targets[2]!, 'p/foreign', 'no version'); // written by someone else, unversioned
    await plant(targets[1]!, 'q/outside', 'not in the prefix', V_NEW);

    const dry = await store.reconcile({ prefix: 'p/', dryRun: true });
    expect(dry).toMatchObject({ prefix: 'p/', dryRun: true, checked: 4, inSync: 1, copied: 0, deleted: 0 });
    expect(dry.changes).toEqual([
      { key: 'p/foreign', action: 'copy', version: undefined, from: 'azure', targets: ['aws', 'gcp'] },
      { key: 'p/missing', action: 'copy', version: V_NEW, from: 'aws', targets: ['gcp', 'azure'] },
      { key: 'p/older', action: 'copy', version: V_NEW, from: 'aws', targets: ['gcp'] },
    ]);
    expect((await copiesOf(targets, 'p/missing')).map((c) => c?.text ?? null)).toEqual([
      'only on aws',
      null,
      null,
    ]);

    const real = await store.reconcile({ prefix: 'p/' });
    expect(real).toMatchObject({ checked: 4, inSync: 1, copied: 5, conflicts: 0, errors: [] });
    for (const key of ['p/in-sync', 'p/missing', 'p/older', 'p/foreign']) {
      const copies = await copiesOf(targets, key);
      expect(new Set(copies.map((c) => JSON.stringify(c))).size, key).toBe(1);
      expect(copies[0]).not.toBeNull();
    }
    expect(await copiesOf(targets, 'q/outside')).toEqual([
      null,
      { text: 'not in the prefix', version: V_NEW },
      null,
    ]);
    expect(await store.reconcile({ prefix: 'p/' })).toMatchObject({ checked: 4, inSync: 4, changes: [] });
  });

  // Found by the Jepsen-style soak (seed 71337: three writes acknowledged while a cloud that lost
  // its data was being reconciled were reported `lost` and deleted everywhere). Reconcile plans a
  // key from listings taken before it got the key's lock; a write made in between (journaled for
  // the clouds it missed) looked newer than every listed copy, "so" on none of them.
  it('a write made after the listings is never declared lost: the copies are looked at again', async () => {
    const { store, targets } = openMultiStore(open, threeClouds());
    await store.put('k', 'v1'); // every cloud
    let written: Promise<unknown> | undefined;
    for (const t of targets) {
      t.list = (options) =>
        (async function* () {
          const snapshot = await keysOf(t.inner, options?.prefix);
          const infos = await Promise.all(snapshot.map((k) => t.inner.head(k)));
          if (t === targets[0]) {
            // The listings are taken; now a write of the key lands on gcp only (the others time out).
            targets[0]!.late = true;
            targets[2]!.late = true;
            written = store.put('k', 'v2');
            await written;
          }
          for (const info of infos) if (info !== null) yield info;
        })();
    }
    const report = await store.reconcile();
    await written;
    expect(report.lost).toBe(0);
    expect(store.status().counts.lost).toBe(0);
    expect((await copiesOf(targets, 'k'))[1]?.text).toBe('v2');
    expect(await getText(store, 'k')).toBe('v2');
  });

  it('applies journaled deletes and resolves the journal', async () => {
    const { store, targets, journal } = setup();
    await store.put('k', 'v');
    targets[2]!.down = 'network';
    await store.delete('k');
    targets[2]!.down = undefined;
    expect(journal.backlog()).toBe(1);
    const report = await store.reconcile();
    expect(report).toMatchObject({
      deleted: 1,
      changes: [{ key: 'k', action: 'delete', targets: ['azure'] }],
    });
    expect(journal.backlog()).toBe(0);
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
  });

  it('same version with different content is a conflict; the highest-priority copy wins', async () => {
    const { store, targets } = setup();
    await plant(targets[0]!, 'k', 'first', V_NEW);
    await plant(targets[1]!, 'k', 'second', V_NEW);
    await plant(targets[2]!, 'k', 'first', V_NEW);
    const report = await store.reconcile();
    expect(report).toMatchObject({ conflicts: 1, copied: 1 });
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['first', 'first', 'first']);
  });

  it('with verify, finds and replaces copies whose bytes do not match their SHA-256', async () => {
    const { store, targets } = setup();
    const info = await store.put('k', 'good');
    await plant(targets[1]!, 'k', 'evil', info.version!, info.checksums.sha256);
    expect(await store.reconcile()).toMatchObject({ inSync: 1, corrupt: 0 });
    const report = await store.reconcile({ verify: true });
    expect(report).toMatchObject({ corrupt: 1, copied: 1 });
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['good', 'good', 'good']);
  });

  it('skips a target that is down and says so', async () => {
    const { store, targets } = setup({
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1 } },
    });
    await store.put('k', 'v');
    targets[1]!.down = 'unavailable';
    const report = await store.reconcile();
    expect(report.skippedTargets).toEqual(['gcp']);
    expect(report.errors[0]).toMatchObject({ target: 'gcp', kind: 'unavailable' });
    expect(report).toMatchObject({ checked: 1, inSync: 1 });
  });
});

describe('drill', () => {
  it('writes, reads, verifies and deletes a canary on every target, directly', async () => {
    const { store, targets } = setup();
    targets[2]!.down = 'network';
    const report = await store.drill({ bytes: 64 });
    expect(report.ok).toBe(false);
    expect(report.targets.map((t) => [t.target, t.ok, t.error?.step, t.error?.kind])).toEqual([
      ['aws', true, undefined, undefined],
      ['gcp', true, undefined, undefined],
      ['azure', false, 'put', 'network'],
    ]);
    expect(Object.keys(report.targets[0]!.stepsMs)).toEqual(['put', 'get', 'verify', 'head', 'delete']);
    expect(report.targets[0]!.latencyMs).toBeGreaterThanOrEqual(0);
    for (const t of targets) expect(await keysOf(t.inner)).toEqual([]);
    // Not through the router: no failover, nothing journaled.
    expect(store.status().journal.backlog).toBe(0);
    targets[2]!.down = undefined;
    expect((await store.drill()).ok).toBe(true);
  });

  it('a drill cut by its time limit reports a timeout', async () => {
    const { store, targets } = setup();
    const slow = targets[1]!;
    (slow as { put: SwitchableStore['put'] }).put = (_key, _body, options) =>
      // Never answers; ends only when the drill's signal aborts.
      new Promise((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
      });
    const report = await store.drill({ timeoutMs: 50 });
    expect(report.targets[1]).toMatchObject({ ok: false, error: { step: 'put', kind: 'timeout' } });
  });
});
