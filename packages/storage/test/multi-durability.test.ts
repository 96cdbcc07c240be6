import { PassThrough } from 'node:stream';
import {
  createMemoryJournal,
  createMultiCloudStore,
  getText,
  type Journal,
  type JournalEntry,
  type ListEntry,
  type MultiCloudStoreOptions,
  NotFoundError,
  QuorumNotReachedError,
  StorageError,
} from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { survivingJournal, threeClouds, useMultiStores } from './multi-fixtures.js';
import { copiesOf, endsOrHangs, gatedJournal, keysOf, type SwitchableStore, wipe } from './multi-helpers.js';

const { open, setup } = useMultiStores();

describe('the default write mode: { quorum: 2, minimum: 1 }', () => {
  it('is the default, and every acknowledged write is readable when the first cloud dies at once', async () => {
    const { store, targets } = setup({ amnesia: {} });
    expect(store.status().writes).toEqual({ quorum: 2, minimum: 1 });
    for (let i = 0; i < 20; i++) await store.put(`k${i}`, `v${i}`);
    targets[0]!.down = 'network';
    for (let i = 0; i < 20; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    // And if it comes back empty (its outage is what tells the store to check), nothing is lost.
    await wipe(targets[0]!);
    targets[0]!.down = undefined;
    for (let i = 0; i < 20; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
  });

  it('with one cloud up, a write still succeeds, degraded (event and count), and is copied first later', async () => {
    const { store, targets, journal } = setup();
    const degraded: unknown[] = [];
    store.on('degraded', (e) => degraded.push([e.key, e.holders, e.missing]));
    targets[0]!.down = 'unavailable';
    targets[1]!.down = 'network';
    await store.put('k', 'only on azure');
    expect(degraded).toEqual([['k', ['azure'], ['aws', 'gcp']]]);
    expect(store.status().counts.degraded).toBe(1);
    const entries = await journal.pending();
    expect(entries.find((e) => e.key === 'k')).toMatchObject({ degraded: true });
    targets[0]!.down = undefined;
    targets[1]!.down = undefined;
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(Array(3).fill('only on azure'));
  });

  it('repair copies degraded writes before the others', async () => {
    const { store, targets } = setup({ repair: { concurrency: 1 } });
    targets[2]!.down = 'unavailable';
    await store.put('normal', 'on two'); // aws + gcp: azure journaled
    targets[1]!.down = 'unavailable';
    await store.put('degraded', 'on one'); // aws only
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const order: string[] = [];
    store.on('repaired', (e) => order.push(e.key));
    await store.repair();
    expect(order[0]).toBe('degraded');
  });

  it('an explicit quorum without `minimum` stays strict', async () => {
    const { store, targets } = setup({ writes: { quorum: 2 } });
    targets[0]!.down = 'unavailable';
    targets[1]!.down = 'unavailable';
    await expect(store.put('k', 'x')).rejects.toBeInstanceOf(QuorumNotReachedError);
  });

  it('a degraded write is refused when the failure is an answer, not an outage', async () => {
    const { store, targets } = setup();
    targets[0]!.down = 'unavailable';
    targets[1]!.down = 'auth';
    await expect(store.put('k', 'x')).rejects.toMatchObject({ kind: 'auth' });
  });

  describe('the third copy after the quorum', () => {
    /** The store over three targets whose third one answers `put` only when released. */
    function slowThird(journal: Journal) {
      const env = setup({ journal });
      const third = env.targets[2]!;
      const put = third.put.bind(third);
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      (third as { put: typeof put }).put = async (...args) => {
        await gate;
        return put(...args);
      };
      return { ...env, releaseThird: release };
    }

    it('is recorded at once; the caller waits for the record while the copy is missing', async () => {
      const { journal, hold } = gatedJournal();
      const { store, targets, releaseThird } = slowThird(journal);
      targets[2]!.down = 'unavailable';
      let done = false;
      const put = store.put('k', 'v').then((info) => {
        done = true;
        return info;
      });
      await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
      expect(hold.pending[0]).toMatchObject({ key: 'k', holders: ['aws', 'gcp'], missing: ['azure'] });
      releaseThird(); // it fails: still missing
      await settle();
      expect(done).toBe(false);
      hold.release();
      await put;
      expect(journal.backlog()).toBe(1);
    });

    it('lands before the record is durable: the caller has its answer, the record is resolved after', async () => {
      const { journal, hold } = gatedJournal();
      const { store, targets, releaseThird } = slowThird(journal);
      let done = false;
      const put = store.put('k', 'v').then(() => (done = true));
      await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
      expect(done).toBe(false);
      releaseThird();
      await put; // every copy is there: nothing needs the record any more
      expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v', 'v', 'v']);
      hold.release();
      await vi.waitFor(() => expect(journal.backlog()).toBe(0));
    });

    it('a record that then fails to be durable is reported, and the write stays acknowledged', async () => {
      const { journal, hold } = gatedJournal();
      const { store, releaseThird } = slowThird(journal);
      const errors: unknown[] = [];
      store.on('error', (e) => errors.push(e.during));
      const put = store.put('k', 'v');
      await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
      releaseThird();
      await put;
      hold.fail(new Error('disk full'));
      await vi.waitFor(() => expect(errors).toEqual(['journal']));
    });

    it('is resolved in the journal with the next append (one group commit), or shortly after', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const calls: string[] = [];
      const inner = createMemoryJournal();
      const journal: Journal = {
        ...inner,
        open: () => inner.open?.() ?? Promise.resolve(),
        append: (e) => {
          calls.push(`append ${e.key}`);
          return inner.append(e);
        },
        resolve: (id, target) => {
          calls.push(`resolve ${id.split(':')[1]} ${target}`);
          return inner.resolve(id, target);
        },
      };
      const { store, releaseThird } = slowThird(journal);
      await store.put('a', '1'); // azure still writing: journaled
      releaseThird();
      await until(() => store.status().targets[2]!.successes > 0); // (no fake time passes)
      expect(calls).toEqual(['append a']); // the resolve waits for company
      await store.put('b', '2');
      // The resolve of 'a' went with the append of 'b' (submitted just before it: the journal
      // gets the store's records in the order it made them).
      expect(calls).toEqual(['append a', 'resolve a azure', 'append b']);
      await until(() => store.status().targets[2]!.successes > 1);
      expect(journal.backlog()).toBe(1); // 'b' on azure: no append comes...
      await vi.advanceTimersByTimeAsync(1_000); // ...so it goes alone, shortly after
      expect(calls.at(-1)).toBe('resolve b azure');
      expect(journal.backlog()).toBe(0);
    });

    it('waits for the record when an older entry of the key is pending (it must be superseded)', async () => {
      const { journal, hold } = gatedJournal();
      const { store, targets, releaseThird } = slowThird(journal);
      hold.passThrough = true;
      targets[1]!.down = 'unavailable';
      releaseThird();
      await store.put('k', 'old'); // gcp journaled
      targets[1]!.down = undefined;
      hold.passThrough = false;
      let done = false;
      const put = store.put('k', 'new').then(() => (done = true));
      await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
      await settle();
      expect(done).toBe(false); // every copy landed, but the old entry is superseded only by the record
      hold.release();
      await put;
    });
  });
});

/** Lets promise and I/O callbacks run until `done` says so (no timer is advanced). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setImmediate(r));
  await settle();
  expect(done()).toBe(true);
}

/** Lets the pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** A memory journal whose appends wait until released (a slow fsync), or fail when told to. */
/** A journal that records every append and can be told to fail the next matching one (a crash). */
function crashableJournal(): {
  journal: Journal;
  appended: JournalEntry[];
  failNext: (match: (e: JournalEntry) => boolean) => void;
} {
  const inner = createMemoryJournal();
  const appended: JournalEntry[] = [];
  let fail: ((e: JournalEntry) => boolean) | undefined;
  const journal: Journal = {
    open: () => inner.open?.() ?? Promise.resolve(),
    append: async (e) => {
      if (fail?.(e)) {
        fail = undefined;
        throw new Error('the process died here');
      }
      appended.push(e);
      await inner.append(e);
    },
    resolve: async (id, target) => {
      appended.push({ ...appended.find((a) => a.id === id)!, id: `resolve:${id}:${target}` });
      await inner.resolve(id, target);
    },
    pending: () => inner.pending(),
    backlog: () => inner.backlog(),
    compact: () => inner.compact(),
    close: () => inner.close(),
  };
  return { journal, appended, failNext: (m) => (fail = m) };
}

describe('never older than acknowledged', () => {
  it('a crash between a delete reaching two clouds and its record: the overwritten version never comes back', async () => {
    const targets = threeClouds();
    const crash = crashableJournal();
    const { store } = setup({ journal: crash.journal }, targets);
    await store.put('k', 'v1'); // every cloud
    targets[0]!.down = 'unavailable';
    await store.put('k', 'v2'); // gcp + azure; journaled for aws (which still holds v1)
    // The delete's intent is recorded, the delete reaches gcp and azure, and the process dies
    // before the delete's own record.
    crash.failNext((e) => e.op === 'delete' && e.intent !== true);
    await expect(store.delete('k')).rejects.toThrow();
    expect(await copiesOf(targets, 'k')).toEqual([expect.objectContaining({ text: 'v1' }), null, null]);
    // Restart on what the journal held at the crash.
    const journal = await survivingJournal(crash.journal);
    await store.close();
    targets[0]!.down = undefined;
    const restarted = createMultiCloudStore({
      targets,
      journal,
      repair: { intervalMs: false, delayMs: false, settleMs: 0 },
      amnesia: false,
    });
    open.push(restarted);
    await expect(restarted.get('k')).rejects.toBeInstanceOf(NotFoundError);
    await restarted.repair();
    await restarted.reconcile();
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
    await expect(restarted.get('k')).rejects.toBeInstanceOf(NotFoundError);
  });

  // Found by the Jepsen-style soak (seeds 13 and 37): a put was journaled only once its quorum was
  // there, so a crash after it reached one cloud left nothing naming its version. After the
  // restart a read returned it from that cloud, and a later read whose first cloud was down
  // returned the older version from another: a read going back.
  it('a crash after a put reached one cloud, before its record: once a read returned it, no read goes back', async () => {
    const targets = threeClouds();
    const crash = crashableJournal();
    const { store } = setup({ journal: crash.journal }, targets);
    await store.put('k', 'v1'); // every cloud
    await store.repair();
    // v2 reaches aws only; the process dies before any record of it but its intent.
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    crash.failNext((e) => e.op === 'put' && !(e.intent === true && e.holders.length === 0));
    await expect(store.put('k', 'v2')).rejects.toThrow();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).toEqual(['v2', 'v1', 'v1']);
    const noted = crash.appended.filter((e) => !e.id.startsWith('resolve:') && e.intent === true);
    expect(noted.at(-1)).toMatchObject({ key: 'k', holders: [], missing: ['aws', 'gcp', 'azure'] });
    // Restart on what the journal held at the crash; every cloud is up.
    const journal = await survivingJournal(crash.journal);
    await store.close();
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const restarted = createMultiCloudStore({
      targets,
      journal,
      repair: { intervalMs: false, delayMs: false },
      amnesia: false,
    });
    open.push(restarted);
    expect(await getText(restarted, 'k')).toBe('v2'); // from aws: the read observed v2
    targets[0]!.down = 'network';
    // gcp and azure hold v1 only: the read fails rather than go back.
    await expect(getText(restarted, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
    // Also after another crash: the read's observation was journaled, not only remembered.
    const journal2 = await survivingJournal(journal);
    await restarted.close();
    const again = createMultiCloudStore({
      targets,
      journal: journal2,
      repair: { intervalMs: false, delayMs: false },
      amnesia: false,
    });
    open.push(again);
    await expect(getText(again, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
    targets[0]!.down = undefined;
    again.recover('aws');
    await again.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).toEqual(['v2', 'v2', 'v2']);
    expect(journal2.backlog()).toBe(0);
    expect(await getText(again, 'k')).toBe('v2');
  });

  // Found by the soak (seed 51) once every put had an intent: a read answered "not found" for a
  // delete still in flight (which then failed, and must take effect); a newer put then failed
  // too, and its intent, the newest pending entry, hid the delete: the next read returned the
  // version the delete had removed.
  it('a delete a read observed stays in effect behind a newer put that failed (its intent pending)', async () => {
    const { store, targets } = setup();
    await store.put('k', 'v1'); // every cloud
    for (const t of targets) t.down = 'network'; // no answer: each request may have landed
    await expect(store.delete('k')).rejects.toThrow();
    expect(await store.exists('k')).toBe(false); // observed: the delete must stick
    await expect(store.put('k', 'v2')).rejects.toThrow(); // its intent stays (it may have landed)
    for (const t of targets) t.down = undefined;
    for (const t of targets) store.recover(t.name);
    // Every cloud still holds v1 (neither request landed): no read or listing may bring it back.
    expect((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).toEqual(['v1', 'v1', 'v1']);
    expect(await store.exists('k')).toBe(false);
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await keysOf(store)).toEqual([]);
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).toEqual([null, null, null]);
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a parallel put's intent is written before the put is sent, replaced by its record, and withdrawn when the put reached no cloud", async () => {
    const crash = crashableJournal();
    const targets = threeClouds();
    const { store } = setup({ journal: crash.journal }, targets);
    const sent: string[] = [];
    for (const t of targets) {
      const put = t.put.bind(t);
      (t as { put: typeof put }).put = (...args) => {
        sent.push(`${t.name}:${crash.appended.filter((e) => e.intent === true).length}`);
        return put(...args);
      };
    }
    await store.put('k', 'v1');
    expect(sent).toEqual(['aws:1', 'gcp:1', 'azure:1']); // each after the intent
    await vi.waitFor(() => expect(crash.journal.backlog()).toBe(0)); // the record replaced it
    for (const t of targets) t.down = 'unavailable'; // a clear refusal: nothing landed
    await expect(store.put('k', 'v2')).rejects.toThrow();
    expect(crash.journal.backlog()).toBe(0);
    expect(await crash.journal.pending()).toEqual([]);
    for (const t of targets) t.down = undefined;
    expect(await getText(store, 'k')).toBe('v1');
  });

  // Found by the Jepsen-style soak (reads after a writer crash went back behind a delete a read had
  // observed). A delete's intent supersedes nothing (it may never land), so an older acknowledged
  // put still pending for a cloud was copied there by repair AFTER the intent had deleted the key
  // there: the overwritten version was back on that cloud, then everywhere after reconcile.
  it('a crash after a delete reached one cloud: repair never copies the older pending put back', async () => {
    const targets = threeClouds();
    const crash = crashableJournal();
    const { store } = setup({ journal: crash.journal }, targets);
    await store.put('k', 'v1'); // every cloud
    targets[2]!.down = 'unavailable';
    await store.put('k', 'v2'); // aws + gcp; journaled for azure (which holds v1)
    targets[2]!.down = undefined;
    // The delete reaches gcp only; the process dies before the delete's own record.
    targets[0]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    crash.failNext((e) => e.op === 'delete' && e.intent !== true);
    await expect(store.delete('k')).rejects.toThrow();
    expect(await store.exists('k')).toBe(false); // a read observes the delete
    expect((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).toEqual(['v2', null, 'v1']);
    // Restart on what the journal held at the crash; aws is still down, azure is back.
    const journal = await survivingJournal(crash.journal);
    await store.close();
    targets[2]!.down = undefined;
    const restarted = createMultiCloudStore({
      targets,
      journal,
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
      repair: { intervalMs: false, delayMs: false, settleMs: 0 },
      amnesia: false,
    });
    open.push(restarted);
    expect(await restarted.exists('k')).toBe(false);
    await restarted.repair(); // the delete lands on azure; aws (which holds v2) is down
    targets[0]!.down = undefined;
    await restarted.repair();
    await restarted.reconcile();
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
    // Whichever cloud answers, the key stays deleted.
    for (const down of [undefined, 0, 1] as const) {
      for (const [i, t] of targets.entries()) t.down = i === down ? 'unavailable' : undefined;
      expect(await restarted.exists('k'), `cloud ${down} down`).toBe(false);
    }
  });

  it('a listing that left out a key during its delete: the delete sticks even when it reaches no cloud', async () => {
    // No hold of silent clouds: on a loaded machine the deletes held back here can outlast their
    // attempt limit, the clouds then go on hold as unresponsive, and repair leaves a held cloud for
    // a later pass (failed once in a full parallel run beside the soak: aws kept v1 after the one
    // pass below; reproduced with a 50 ms attempt limit and the release 500 ms later).
    const { store, targets } = setup({ unresponsive: false });
    await store.put('k', 'v1');
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    for (const t of targets) {
      // Every cloud answers the delete late, with a clear "no" (it did not land).
      t.delete = () =>
        held.then(() => {
          throw new StorageError('unavailable', `${t.name} is down`, { target: t.name });
        });
    }
    const deleting = store.delete('k');
    deleting.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    expect(await keysOf(store)).toEqual([]); // the listing observes the delete
    release();
    await expect(deleting).rejects.toThrow();
    expect(await store.exists('k')).toBe(false);
    for (const t of targets) t.delete = (key, o) => t.inner.delete(key, o);
    await store.repair();
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
  });

  it('a version a read returned while its put was in flight is never read older, also after a crash', async () => {
    const targets = threeClouds();
    const { store, journal } = setup({}, targets);
    await store.put('k', 'v1'); // every cloud
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    for (const t of targets.slice(1)) {
      // gcp and azure take the next put slowly, then fail it (it never lands there).
      t.put = () =>
        held.then(() => {
          throw new StorageError('unavailable', `${t.name} is down`, { target: t.name });
        });
    }
    const putting = store.put('k', 'v2');
    putting.catch(() => undefined);
    await vi.waitFor(async () => expect((await copiesOf(targets, 'k'))[0]?.text).toBe('v2'));
    expect(await getText(store, 'k')).toBe('v2'); // observed, from aws, before the put is acknowledged
    // The process dies here: a new one starts on what the journal holds, with aws down.
    const restartedJournal = await survivingJournal(journal);
    release();
    await putting; // (the old process: acknowledged degraded; the new one never learns it)
    for (const t of targets) t.put = (key, body, o) => t.inner.put(key, body, o);
    targets[0]!.down = 'unavailable';
    const restarted = createMultiCloudStore({
      targets,
      journal: restartedJournal,
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
      repair: { intervalMs: false, delayMs: false, settleMs: 0 },
      amnesia: false,
    });
    open.push(restarted);
    // v2 is on aws only, which is down: the read fails rather than going back to v1.
    await expect(getText(restarted, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
    targets[0]!.down = undefined;
    await restarted.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });

  it('a delete that reached no cloud is withdrawn: nothing changes', async () => {
    const { store, targets, journal } = setup();
    await store.put('k', 'kept');
    for (const t of targets) t.down = 'unavailable';
    await expect(store.delete('k')).rejects.toThrow();
    expect(journal.backlog()).toBe(0);
    for (const t of targets) t.down = undefined;
    expect(await getText(store, 'k')).toBe('kept');
  });

  it('a delete whose first attempt landed without an answer and whose retry was refused is not withdrawn: the clouds converge', async () => {
    // Seen in the Jepsen soak: the fault switched from a cut answer to a refused connection between
    // two attempts. Only the last attempt's failure (refused: "never sent") was looked at, so the
    // delete counted as reaching no cloud and its intent was withdrawn, leaving aws without the key
    // and the others with it, nothing pending: a read then served "not found" or the old version
    // depending on which cloud answered.
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    // Quorum 3: the copy on aws is one the write needs, so it gets the router's retries.
    const { store, targets, journal } = setup({
      writes: { quorum: 3 },
      failover: {
        retry: { maxAttempts: 2, baseDelayMs: 0 },
        budget: false,
        breaker: { volumeThreshold: 100, consecutiveFailures: 0 },
      },
      repair: { settleMs: 10_000 },
    });
    await store.put('k', 'v1');
    const aws = targets[0]!;
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    let attempts = 0;
    aws.delete = async (key, options) => {
      attempts++;
      if (attempts === 1) {
        await aws.inner.delete(key, options); // it lands; the answer is cut
        throw new StorageError('network', 'aws: the answer was cut', { target: 'aws', cause: reset });
      }
      throw new StorageError('network', 'aws: refused', { target: 'aws', cause: refused });
    };
    // The other clouds refuse every connection: the delete never reaches them.
    for (const t of targets.slice(1)) {
      t.delete = () =>
        Promise.reject(new StorageError('network', `${t.name}: refused`, { target: t.name, cause: refused }));
    }
    await expect(store.delete('k')).rejects.toThrow();
    expect(attempts).toBe(2);
    // aws lost the key: the delete may have happened, so it stays journaled (as an intent).
    expect((await journal.pending()).find((e) => e.key === 'k')).toMatchObject({
      op: 'delete',
      intent: true,
    });
    for (const t of targets.slice(1)) t.delete = (key, o) => t.inner.delete(key, o);
    // After the settle window (the aws request may still land until then), repair completes it.
    vi.setSystemTime(Date.now() + 10_001);
    await store.repair();
    expect(new Set((await copiesOf(targets, 'k')).map((c) => c?.text ?? null)).size).toBe(1);
    expect(journal.backlog()).toBe(0);
  });

  it('a failed write that reached one cloud is journaled as an intent and converges, never counted as acknowledged', async () => {
    const { store, targets, journal } = setup({ writes: { quorum: 3 } });
    await store.put('k', 'v1');
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await expect(store.put('k', 'v2')).rejects.toBeInstanceOf(QuorumNotReachedError);
    const entry = (await journal.pending()).find((e) => e.key === 'k');
    expect(entry).toMatchObject({ intent: true, holders: ['aws'], missing: ['gcp', 'azure'] });
    // Either outcome is allowed for a failed write; what matters is that the clouds converge.
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    await store.repair();
    const copies = await copiesOf(targets, 'k');
    expect(new Set(copies.map((c) => c?.text)).size).toBe(1);
    expect(journal.backlog()).toBe(0);
  });

  it('a request that timed out and lands later cannot leave a cloud older than the acknowledged version', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = setup({ repair: { settleMs: 10_000 } });
    targets[0]!.late = true; // aws: every put "times out", and lands when the test says
    await store.put('k', 'v1'); // gcp + azure; aws's copy is in flight
    targets[0]!.late = false;
    const v2 = await store.put('k', 'v2'); // every cloud, aws included
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    // aws does not count as holding v2 yet: an earlier request of the key may still land there.
    const pending = (await journal.pending()).find((e) => e.version === v2.version);
    expect(pending?.missing).toContain('aws');
    // The late v1 lands over v2 on aws.
    expect(await targets[0]!.landLate()).toBe(1);
    expect((await copiesOf(targets, 'k'))[0]?.text).toBe('v1');
    // Reads never serve it (aws is not trusted for the key), and repair does not resolve it early.
    expect(await getText(store, 'k')).toBe('v2');
    const first = await store.repair();
    expect(first.deferred + first.repaired).toBeGreaterThan(0);
    expect(journal.backlog()).toBeGreaterThan(0);
    // After the window, repair checks aws again and puts the acknowledged version back.
    vi.setSystemTime(Date.now() + 10_001);
    await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });
});

describe('a copy of repair or reconcile that timed out and lands after a newer write', () => {
  // Soak seed 310 (issue 11): a repair copy of v1 to a cloud timed out (it still travelled), the
  // key's lock was released, the key was deleted everywhere (nothing on that cloud to delete),
  // then the copy landed (its `ifNoneMatch: '*'` held: the cloud was empty again) and a read
  // served the deleted version. An answerless copy now opens the key's window on that cloud.
  async function repairCopyInFlight(settleMs: number) {
    const opened = setup({ repair: { settleMs } });
    const [aws] = opened.targets;
    aws!.down = 'unavailable';
    await opened.store.put('k', 'v1'); // gcp + azure; aws journaled as missing
    aws!.down = undefined;
    aws!.late = true; // repair's copy to aws "times out", and lands when the test says
    await opened.store.repair();
    aws!.late = false;
    return opened;
  }

  it('a delete of the key stays a delete: reads say not found, and repair deletes the late copy after the window', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = await repairCopyInFlight(10_000);
    await store.delete('k'); // acknowledged everywhere (aws held nothing)
    expect(await targets[0]!.landLate()).toBe(1); // the copy of v1 lands on the empty aws
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', undefined, undefined]);
    await expect(getText(store, 'k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.exists('k')).toBe(false);
    expect(await keysOf(store)).toEqual([]);
    // Not settled before the window has passed; then repair checks aws again and deletes it.
    await store.repair();
    await expect(getText(store, 'k')).rejects.toBeInstanceOf(NotFoundError);
    expect(journal.backlog()).toBeGreaterThan(0);
    vi.setSystemTime(Date.now() + 10_001);
    await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual([undefined, undefined, undefined]);
    await expect(getText(store, 'k')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a newer put of the key is never replaced by it', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = await repairCopyInFlight(10_000);
    await store.put('k', 'v2'); // every cloud
    // Refused: aws holds v2 (the copy asked for an empty target).
    await expect(targets[0]!.landLate()).rejects.toMatchObject({ kind: 'precondition' });
    expect(await getText(store, 'k')).toBe('v2');
    vi.setSystemTime(Date.now() + 10_001);
    await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });
});

describe('a request of a write made before a restart, landing after a newer write made after it', () => {
  // The windows of a write's answerless requests live in the process that sent them; its journal
  // entry carries them (`notBefore`), and a write of the key after a restart inherits them.
  it('a delete after the restart stays a delete when the older put lands late', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const first = setup({ repair: { settleMs: 10_000 } });
    const targets = first.targets;
    targets[0]!.late = true; // aws: the put "times out", and lands when the test says
    await first.store.put('k', 'v1'); // gcp + azure
    targets[0]!.late = false;
    // The process dies; a new one opens on what its journal made durable, a second later.
    vi.setSystemTime(Date.now() + 1_000);
    const journal = await survivingJournal(first.journal);
    const { store } = setup({ journal, repair: { settleMs: 10_000 } }, targets);
    await store.delete('k'); // every cloud answers (aws held nothing)
    const pending = (await journal.pending()).filter((e) => e.op === 'delete');
    expect(pending).toContainEqual(expect.objectContaining({ missing: expect.arrayContaining(['aws']) }));
    expect(await targets[0]!.landLate()).toBe(1); // v1 lands on aws after the delete
    await store.repair();
    await expect(getText(store, 'k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await keysOf(store)).toEqual([]);
    vi.setSystemTime(Date.now() + 10_001);
    await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual([undefined, undefined, undefined]);
  });
});

describe('a failed write whose request may still land', () => {
  it('repair does not drop its intent before the settle window: a late landing converges every cloud on it', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = setup({ repair: { settleMs: 10_000 } });
    await store.put('k', 'v1');
    targets[0]!.late = true; // aws: the put "times out" and lands when the test says
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await expect(store.put('k', 'v2')).rejects.toBeInstanceOf(Error); // no cloud took it
    targets[0]!.late = false;
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    // v2 is on no cloud yet; its request to aws may still land: repair waits for the window.
    const first = await store.repair();
    expect(first.deferred).toBeGreaterThan(0);
    expect(journal.backlog()).toBeGreaterThan(0);
    expect(await targets[0]!.landLate()).toBe(1);
    vi.setSystemTime(Date.now() + 10_001);
    for (let i = 0; i < 3 && journal.backlog() > 0; i++) await store.repair();
    expect(journal.backlog()).toBe(0);
    // The clouds agree (on the version that landed), so reads cannot flip between two versions.
    const copies = await copiesOf(targets, 'k');
    expect(copies.map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(await getText(store, 'k')).toBe('v2');
  });

  it('and when it never lands, repair drops the intent after the window: every cloud keeps v1', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = setup({ repair: { settleMs: 10_000 } });
    await store.put('k', 'v1');
    targets[0]!.late = true;
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await expect(store.put('k', 'v2')).rejects.toBeInstanceOf(Error); // no cloud took it
    targets[0]!.late = false;
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    await store.repair();
    expect(journal.backlog()).toBeGreaterThan(0);
    vi.setSystemTime(Date.now() + 10_001);
    for (let i = 0; i < 3 && journal.backlog() > 0; i++) await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v1', 'v1']);
  });
});

describe('the pass that checks a deferred pair again', () => {
  /** A failed put of v2 whose request to aws lands late, then a repair that defers its pair. */
  async function deferredPair(repair: NonNullable<MultiCloudStoreOptions['repair']>) {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { store, targets, journal } = setup({ repair: { settleMs: 10_000, ...repair } });
    await store.put('k', 'v1');
    targets[0]!.late = true;
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await expect(store.put('k', 'v2')).rejects.toBeInstanceOf(Error);
    targets[0]!.late = false;
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    expect(await targets[0]!.landLate()).toBe(1);
    expect((await store.repair()).deferred).toBeGreaterThan(0);
    return { store, targets, journal, passes: store.status().counts.repairPasses };
  }

  it('runs by itself once the window has passed', async () => {
    const { store, targets, journal, passes } = await deferredPair({});
    await vi.advanceTimersByTimeAsync(10_001);
    for (let i = 0; i < 50 && journal.backlog() > 0; i++) await vi.advanceTimersByTimeAsync(100);
    expect(store.status().counts.repairPasses).toBeGreaterThan(passes);
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });

  it('waits for the next repair() of a store told not to repair by itself (a tool, a batch job)', async () => {
    const { store, targets, journal, passes } = await deferredPair({ onRecovery: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(store.status().counts.repairPasses).toBe(passes); // no pass it was not asked for
    expect(journal.backlog()).toBeGreaterThan(0); // copied at once; resolved after the window
    for (let i = 0; i < 3 && journal.backlog() > 0; i++) await store.repair();
    expect(journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });
});

describe('a cloud that comes back without its data (epoch markers)', () => {
  function amnesiaSetup() {
    return setup({ amnesia: { recheckMs: 0 } });
  }

  it('every target gets one shared epoch marker, hidden from listings', async () => {
    const { store, targets } = amnesiaSetup();
    await store.put('k', 'v');
    await store.repair();
    const markers = await Promise.all(targets.map((t) => t.inner.head('_failover/epoch')));
    expect(markers.every((m) => m !== null)).toBe(true);
    expect(new Set(markers.map((m) => m!.metadata.fo_epoch)).size).toBe(1);
    expect(await keysOf(store)).toEqual(['k']);
  });

  it('close() waits for the markers being written: none is left on some targets only (the next process would call that a loss)', async () => {
    const { store, targets } = amnesiaSetup();
    // Azure's marker write is held until released: the store closes while the epoch is being made.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    targets[2]!.interpose = async () => {
      reached();
      await held;
    };
    const put = store.put('k', 'v'); // opens the store: the epoch is established beside it
    await reachedP;
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    await put.catch(() => undefined);
    const markers = await Promise.all(targets.map((t) => t.inner.head('_failover/epoch')));
    expect(markers.map((m) => m !== null)).toEqual([true, true, true]);
  });

  /**
   * A store over five keys on every cloud, whose next listing of AWS goes through `listing` (AWS
   * and its own listing's entries).
   */
  async function withListingOnce(
    listing: (aws: SwitchableStore, list: AsyncIterable<ListEntry>) => AsyncGenerator<ListEntry>,
  ) {
    const { store, targets } = amnesiaSetup();
    const keys = Array.from({ length: 5 }, (_, i) => `k${i}`);
    for (const k of keys) await store.put(k, k);
    await store.repair();
    const aws = targets[0]!;
    const list = aws.list;
    aws.list = (options) => {
      aws.list = list;
      return listing(aws, list(options));
    };
    return { store, keys };
  }

  it('a cloud that loses its data after its marker was checked and before it is listed: the listing goes on elsewhere, no key missing', async () => {
    // Fleet soak seed 27613: a listing checked the marker, the process stalled, the cloud was
    // wiped meanwhile, and the listing sent once the stall ended missed a key.
    const { store, keys } = await withListingOnce(async function* (aws, list) {
      await wipe(aws); // after the marker's check, before the listing's request
      yield* list;
    });
    expect(await keysOf(store)).toEqual(keys);
    expect(store.status().targets[0]!.amnesia).toBeDefined();
  });

  it('a cloud that loses its data while it is listed, after entries were returned: the listing fails rather than miss keys', async () => {
    const { store, keys } = await withListingOnce(async function* (aws, list) {
      let n = 0;
      for await (const e of list) {
        yield e;
        if (++n < 2) continue;
        await wipe(aws); // the rest of the listing comes from an empty bucket: nothing more
        return;
      }
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of store.list()) if ('key' in e) seen.push(e.key);
      })(),
    ).rejects.toMatchObject({ kind: 'unavailable' });
    expect(seen.length).toBeLessThan(keys.length);
    expect(seen).toEqual(keys.slice(0, seen.length));
  });

  it('a primary restarted empty is caught: reads come from the others, it is reconciled, status and events say so', async () => {
    const { store, targets } = amnesiaSetup();
    for (let i = 0; i < 30; i++) await store.put(`k${i}`, `v${i}`);
    await store.repair();
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await wipe(targets[0]!); // its data and its marker are gone; it answers as if nothing happened
    for (let i = 0; i < 30; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    expect(events[0]).toEqual(['aws', false]);
    expect(store.status().counts.amnesia).toBe(1);
    // The background reconcile restores it, then trusts it again.
    await vi.waitFor(() => expect(events).toContainEqual(['aws', true]), { timeout: 5000 });
    expect(store.status().targets[0]!.amnesia).toBeUndefined();
    for (let i = 0; i < 30; i++) expect((await copiesOf(targets, `k${i}`))[0]?.text).toBe(`v${i}`);
    expect(await targets[0]!.inner.head('_failover/epoch')).not.toBeNull();
  });

  it('a store told not to repair by itself (a tool, the CLI) reports the loss and restores the cloud only at its next repair()', async () => {
    const { store, targets } = setup({ amnesia: { recheckMs: 0 }, repair: { onRecovery: false } });
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, `v${i}`);
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await wipe(targets[0]!);
    for (let i = 0; i < 5; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    expect(events).toEqual([['aws', false]]);
    await new Promise((r) => setTimeout(r, 50));
    // Nothing written behind the caller's back: the cloud stays empty and untrusted.
    expect(store.status().targets[0]!.amnesia).toEqual(expect.objectContaining({ reconciling: false }));
    expect((await copiesOf(targets, 'k0'))[0]).toBeNull();
    expect(await targets[0]!.inner.head('_failover/epoch')).toBeNull();
    // The restore is part of the pass: done when repair() returns, so a tool that closes the store
    // right after it (the CLI) leaves the cloud restored, its marker back.
    await store.repair();
    await store.close();
    expect(events).toContainEqual(['aws', true]);
    expect(store.status().targets[0]!.amnesia).toBeUndefined();
    for (let i = 0; i < 5; i++) expect((await copiesOf(targets, `k${i}`))[0]?.text).toBe(`v${i}`);
    expect(await targets[0]!.inner.head('_failover/epoch')).not.toBeNull();
  });

  it('the signal of a repair() stops the restore it runs (a store told not to repair by itself)', async () => {
    const { store, targets } = setup({ amnesia: { recheckMs: 0 }, repair: { onRecovery: false } });
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, `v${i}`);
    const errors: unknown[] = [];
    store.on('error', (e) => errors.push(e));
    await wipe(targets[0]!);
    expect(await getText(store, 'k0')).toBe('v0'); // the loss is found
    targets[1]!.stalled = true; // the restore's listing of gcp stops answering
    const listed = targets[1]!.calls.list ?? 0;
    const ac = new AbortController();
    const pass = store.repair({ signal: ac.signal });
    await vi.waitFor(() => expect(targets[1]!.calls.list ?? 0).toBeGreaterThan(listed), { timeout: 5000 });
    ac.abort();
    // Without the signal reaching it, the restore (and so the repair()) would wait for the stalled
    // listing for ever.
    expect(await endsOrHangs(pass)).not.toBe('still running');
    expect(errors).toEqual([]); // stopped by its caller: not a failure of the restore
    expect(store.status().targets[0]!.amnesia).toBeDefined(); // still untrusted
    targets[1]!.stalled = false;
    await store.repair();
    expect(store.status().targets[0]!.amnesia).toBeUndefined();
    for (let i = 0; i < 5; i++) expect((await copiesOf(targets, `k${i}`))[0]?.text).toBe(`v${i}`);
  });

  it('a cloud that loses its data again during its restore is not trusted after it: the restore starts over', async () => {
    const { store, targets } = amnesiaSetup();
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    for (const k of keys) await store.put(k, `v-${k}`);
    await store.repair();
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    // The restore copies each key back to aws; before its 5th copy lands, aws loses it all again
    // (a second wipe, a recreated bucket): the first four copies, and whatever the restore
    // wrote of its own, are gone.
    const aws = targets[0]!;
    const put = aws.put.bind(aws);
    let copies = 0;
    aws.put = async (key, body, options) => {
      if (!key.startsWith('_failover/') && ++copies === 5) await wipe(aws);
      return put(key, body, options);
    };
    await wipe(aws);
    expect(await getText(store, 'k0')).toBe('v-k0'); // the loss is found; the restore starts
    // Restores run until one ends with every key back: the first missed four of them.
    await vi.waitFor(() => expect(events).toContainEqual(['aws', true]), { timeout: 10_000 });
    await vi.waitFor(() => expect(store.status().targets[0]!.amnesia).toBeUndefined(), { timeout: 10_000 });
    const onAws = await Promise.all(keys.map(async (k) => (await copiesOf(targets, k))[0]?.text));
    expect(onAws).toEqual(keys.map((k) => `v-${k}`));
    expect(await aws.inner.head('_failover/epoch')).not.toBeNull();
    for (const k of keys) expect(await getText(store, k)).toBe(`v-${k}`);
  });

  // Found by the soak under load (seed 37): a restore that could not list one of the other clouds
  // still trusted the restored one again, so a key only that cloud held read as "not found".
  it('a cloud that lost its data is trusted again only after a restore that listed every other cloud', async () => {
    const { store, targets } = amnesiaSetup();
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, `v${i}`);
    targets[0]!.down = 'network';
    await store.put('only', 'on gcp and azure'); // the quorum without aws
    targets[0]!.down = undefined;
    store.recover('aws');
    await store.repair(); // aws gets its copy
    targets[0]!.down = 'network';
    await store.put('only', 'v2'); // again on gcp and azure only
    targets[0]!.down = undefined;
    store.recover('aws');
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await wipe(targets[1]!);
    targets[2]!.down = 'network';
    await store.repair();
    expect(events[0]).toEqual(['gcp', false]);
    const gcpAmnesia = () => store.status().targets.find((t) => t.name === 'gcp')?.amnesia;
    await vi.waitFor(() => expect(gcpAmnesia()?.reconciling).toBe(false), { timeout: 5000 });
    expect(gcpAmnesia()).toBeDefined();
    // Only azure holds v2: the read fails rather than answer the old version or "not found".
    await expect(getText(store, 'only')).rejects.toMatchObject({ kind: 'unavailable' });
    for (let i = 0; i < 5; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    targets[2]!.down = undefined;
    store.recover('azure');
    await store.repair();
    await vi.waitFor(() => expect(events).toContainEqual(['gcp', true]), { timeout: 5000 });
    await store.repair();
    expect((await copiesOf(targets, 'only')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    for (let i = 0; i < 5; i++) expect((await copiesOf(targets, `k${i}`))[1]?.text).toBe(`v${i}`);
  });

  // Found while tracing the soak (no `amnesia` event in runs that wiped clouds): a marker check
  // that ended at once (the epoch not known yet) stayed registered as "running", and every later
  // check without a request time (a repair pass's sweep) got its old answer. Only the primary,
  // checked by reads' "not found", was ever caught.
  it('a repair pass catches a secondary that lost its data, also when the first pass ran before the epoch was known', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { store, targets } = setup({ amnesia: { recheckMs: 1000 } });
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await store.repair(); // its sweep runs while the store is still reading the markers
    await store.put('k', 'v');
    await store.repair();
    expect(events).toEqual([]);
    await wipe(targets[1]!);
    vi.advanceTimersByTime(1001); // the markers were seen more than recheckMs ago
    await store.repair();
    expect(events[0]).toEqual(['gcp', false]);
  });

  // Found by the soak under load (seed 11011): a listing made right after a restart, while the
  // store was still reading the targets' markers (the first call starts that in the background),
  // took the first cloud's marker check for "trusted": the check did not wait for the markers
  // being read and, the epoch not known yet, judged nothing. That cloud had lost its data and the
  // listing left out every key it had held. A read's "not found" from it was trusted the same way.
  it.each(['list', 'get'] as const)(
    'a %s right after a restart waits for the markers being read: a cloud that lost its data is not trusted',
    async (call) => {
      const targets = threeClouds();
      const journal = createMemoryJournal();
      const first = setup({ amnesia: {}, journal }, targets).store;
      for (let i = 0; i < 5; i++) await first.put(`k${i}`, `v${i}`);
      await first.repair();
      // (Not closed: it would close the journal the restarted store goes on with.)
      await wipe(targets[0]!); // aws lost everything, its marker too, while the app was down
      // The restarted store reads the journal's id first: held until the call below is waiting.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const slowId = new Proxy(journal, {
        get(target, prop, receiver) {
          if (prop === 'journalId') {
            return async () => {
              await held;
              return target.journalId!();
            };
          }
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const events: unknown[] = [];
      const { store } = setup({ amnesia: {}, journal: slowId }, targets);
      store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
      const answer = call === 'list' ? keysOf(store) : getText(store, 'k3').catch((err: unknown) => err);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      release();
      if (call === 'list') expect(await answer).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      else expect(await answer).toBe('v3');
      expect(events[0]).toEqual(['aws', false]);
    },
  );

  // The same restart with the two other clouds away: the one that lost its data is the only one
  // that answers, and has no marker. A store that wrote before does not start a new epoch on it
  // (it would then trust it and answer "not found" for keys the others hold): reads and listings
  // fail until another cloud answers; then it is caught.
  it('a restart that finds only a cloud without its marker trusts it with nothing until another cloud answers', async () => {
    const targets = threeClouds();
    const journal = createMemoryJournal();
    const first = setup({ amnesia: {}, journal }, targets).store;
    for (let i = 0; i < 5; i++) await first.put(`k${i}`, `v${i}`);
    await first.repair();
    await wipe(targets[0]!);
    targets[1]!.down = 'network';
    targets[2]!.down = 'network';
    const events: unknown[] = [];
    const { store } = setup({ amnesia: { recheckMs: 0 }, journal }, targets);
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    // Failed, not "not found" (its kind is the last cloud's failure).
    const read = await getText(store, 'k3').catch((err: unknown) => err);
    expect(read).toBeInstanceOf(Error);
    expect(read).not.toBeInstanceOf(NotFoundError);
    await expect(keysOf(store)).rejects.toThrow();
    expect(await targets[0]!.inner.head('_failover/epoch')).toBeNull(); // no new epoch started on it
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    store.recover('gcp');
    store.recover('azure');
    expect(await getText(store, 'k3')).toBe('v3');
    expect(await keysOf(store)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(events[0]).toEqual(['aws', false]);
  });

  it('a key that truly does not exist still reads as not found', async () => {
    const { store, targets } = amnesiaSetup();
    await store.put('k', 'v');
    await wipe(targets[0]!);
    await expect(store.get('missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  /** The epoch each target's marker holds (undefined: none). */
  async function markersOf(targets: SwitchableStore[]): Promise<(string | undefined)[]> {
    return Promise.all(
      targets.map(
        async (t) => (await t.inner.head('_failover/epoch'))?.metadata.fo_epoch as string | undefined,
      ),
    );
  }

  // Issue 9, gap 1: a new store opened while one cloud was down started no epoch until every cloud
  // had answered once, so a cloud that lost its data in that time went unnoticed.
  it('a new store opened while a cloud is down starts the epoch on the others, catches a loss there, and gives the late cloud its marker', async () => {
    const { store, targets } = amnesiaSetup();
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    targets[2]!.down = 'network';
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, `v${i}`);
    await vi.waitFor(async () => expect((await markersOf(targets))[0]).toBeDefined());
    await wipe(targets[1]!); // gcp loses its data (and marker) while azure was never reached
    await store.repair();
    expect(events[0]).toEqual(['gcp', false]);
    for (let i = 0; i < 5; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    // Not restored while azure cannot be listed: a key may be held only by azure (a quorum write
    // that missed aws), and gcp trusted again would answer "not found" for it.
    await store.repair();
    const gcpAmnesia = () => store.status().targets.find((t) => t.name === 'gcp')?.amnesia;
    await vi.waitFor(() => expect(gcpAmnesia()?.reconciling).toBe(false), { timeout: 5000 });
    expect(gcpAmnesia()).toBeDefined();
    expect(events).not.toContainEqual(['gcp', true]);
    // With aws down too, a listing has only gcp left: it fails rather than list none of the keys.
    targets[0]!.down = 'network';
    await expect(keysOf(store)).rejects.toMatchObject({ kind: 'unavailable' });
    targets[0]!.down = undefined;
    store.recover('aws');
    // Azure answers (its breaker closes): it gets the marker (its absence was not a loss: it never had it).
    targets[2]!.down = undefined;
    store.recover('azure');
    await store.repair();
    await vi.waitFor(() => expect(events).toContainEqual(['gcp', true]), { timeout: 5000 });
    await store.repair();
    const markers = await markersOf(targets);
    expect(new Set(markers).size).toBe(1);
    expect(markers[2]).toBeDefined();
    expect(events.filter((e) => (e as unknown[])[0] === 'azure')).toEqual([]);
  });

  // Issue 9, gap 2: a marker whose write failed when the epoch was created was later taken for a
  // marker that vanished: a false amnesia (a needless reconcile; the cloud's "not found" distrusted).
  it('a marker whose write failed at creation is written later, without a false amnesia', async () => {
    const { store, targets } = amnesiaSetup();
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    targets[2]!.late = true; // its puts fail (and never land: landLate is not called)
    await store.put('k', 'v');
    await vi.waitFor(async () => expect((await markersOf(targets))[0]).toBeDefined());
    expect((await markersOf(targets))[2]).toBeUndefined();
    targets[2]!.late = false;
    await store.repair();
    await expect(store.get('missing')).rejects.toBeInstanceOf(NotFoundError);
    expect(events).toEqual([]);
    expect(store.status().counts.amnesia).toBe(0);
    const markers = await markersOf(targets);
    expect(markers[2]).toBeDefined();
    expect(new Set(markers).size).toBe(1);
  });

  // The documented choice: a cloud this store never saw holding the epoch, while the others hold
  // it, may have lost everything (or may never have got the marker): it is not trusted blindly.
  it('an existing store opened while a cloud is down: the cloud coming back empty is treated as having lost its data', async () => {
    const first = amnesiaSetup();
    for (let i = 0; i < 5; i++) await first.store.put(`k${i}`, `v${i}`);
    await first.store.repair();
    await first.store.close();
    const targets = first.targets;
    targets[2]!.down = 'network';
    await wipe(targets[2]!);
    const { store } = setup({ amnesia: { recheckMs: 0 } }, targets);
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await store.put('x', 'y');
    targets[2]!.down = undefined;
    store.recover('azure');
    await store.repair();
    expect(events[0]).toEqual(['azure', false]);
    await vi.waitFor(() => expect(events).toContainEqual(['azure', true]), { timeout: 5000 });
    for (let i = 0; i < 5; i++) expect((await copiesOf(targets, `k${i}`))[2]?.text).toBe(`v${i}`);
  });

  // The provisional epoch gives way: the clouds that answered at open were empty, but the one that
  // did not holds the store's epoch, so the empty ones had lost their data.
  it('a provisional epoch started while a cloud was down gives way to the real one that cloud holds', async () => {
    const first = amnesiaSetup();
    for (let i = 0; i < 5; i++) await first.store.put(`k${i}`, `v${i}`);
    await first.store.repair();
    await first.store.close();
    const targets = first.targets;
    const [real] = await markersOf(targets);
    await wipe(targets[0]!);
    await wipe(targets[1]!);
    targets[2]!.down = 'network';
    const { store } = setup({ amnesia: { recheckMs: 0 } }, targets);
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    await store.put('x', 'y');
    await vi.waitFor(async () => expect((await markersOf(targets))[0]).toBeDefined());
    expect((await markersOf(targets))[0]).not.toBe(real);
    targets[2]!.down = undefined;
    store.recover('azure');
    await store.repair();
    expect(events).toContainEqual(['aws', false]);
    expect(events).toContainEqual(['gcp', false]);
    await vi.waitFor(() => expect(events).toContainEqual(['aws', true]), { timeout: 5000 });
    await vi.waitFor(() => expect(events).toContainEqual(['gcp', true]), { timeout: 5000 });
    expect(await markersOf(targets)).toEqual([real, real, real]);
    for (let i = 0; i < 5; i++) expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    expect(await getText(store, 'x')).toBe('y');
  });

  it('two instances that each started a provisional epoch while a different cloud was down settle on one, and stop reconciling', async () => {
    const targets = threeClouds();
    // A opens while GCP and Azure are down: its provisional epoch is on AWS only.
    targets[1]!.down = 'network';
    targets[2]!.down = 'network';
    const a = setup({ amnesia: { recheckMs: 0 } }, targets).store;
    await a.put('a0', 'x');
    await vi.waitFor(async () => expect((await markersOf(targets))[0]).toBeDefined());
    // B opens while AWS is down (GCP and Azure back): they hold no marker, so its provisional epoch
    // is on them.
    targets[0]!.down = 'network';
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const b = setup({ amnesia: { recheckMs: 0 } }, targets).store;
    await b.put('b0', 'y');
    await vi.waitFor(async () => expect((await markersOf(targets))[1]).toBeDefined());
    const [ofA, ofB] = [(await markersOf(targets))[0], (await markersOf(targets))[1]];
    expect(ofA).not.toBe(ofB);
    targets[0]!.down = undefined;
    for (const s of [a, b]) for (const t of ['aws', 'gcp', 'azure']) s.recover(t);
    const events: string[] = [];
    a.on('amnesia', (e) => events.push(`a ${e.target} ${e.reconciled}`));
    b.on('amnesia', (e) => events.push(`b ${e.target} ${e.reconciled}`));
    // Both work on: reads of every key (each checks the markers) and repair passes.
    const round = async () => {
      for (const s of [a, b]) {
        for (const k of ['a0', 'b0', 'none']) await s.head(k).catch(() => undefined);
        await s.repair();
      }
    };
    // Until both settled (a restore runs in the background: given up to 10 s, on a loaded machine).
    await vi.waitFor(
      async () => {
        await round();
        const m = await markersOf(targets);
        expect(m.every((x) => x === m[0])).toBe(true);
        for (const s of [a, b]) expect(s.status().targets.filter((t) => t.amnesia)).toEqual([]);
      },
      { timeout: 10_000, interval: 20 },
    );
    const final = (await markersOf(targets))[0];
    // The smaller of the two epochs wins, on both instances.
    expect([ofA, ofB].sort()[0]).toBe(final);
    // Settled for good: more rounds make no more amnesia.
    const before = events.length;
    for (let i = 0; i < 5; i++) await round();
    expect(events.slice(before)).toEqual([]);
    expect(await markersOf(targets)).toEqual([final, final, final]);
    expect(await getText(a, 'b0')).toBe('y');
    expect(await getText(b, 'a0')).toBe('x');
  });

  it('off with `amnesia: false`: no marker is written', async () => {
    const { store, targets } = setup({ amnesia: false });
    await store.put('k', 'v');
    expect(await targets[0]!.inner.head('_failover/epoch')).toBeNull();
  });
});

describe('an acknowledged version whose every copy is gone, with a later write of the key unsettled', () => {
  // Seen in the soak: reads found nothing after a wipe took a degraded write's only copy, and no
  // `lost` was reported. A later write of the key had failed with its fate unknown (an intent):
  // repair took that intent as superseding the lost version, then dropped the intent (it reached
  // no cloud), and the older copies came back.
  it('waits for the intent: reports the loss once it reached no cloud, and never serves the older copy', async () => {
    const { store, targets, journal } = setup({ amnesia: false, repair: { settleMs: 0 } });
    await store.put('k', 'v1');
    await store.repair();
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await store.put('k', 'v2'); // acknowledged, degraded: aws only
    const put = targets[0]!.put;
    targets[0]!.put = async () => {
      throw new StorageError('network', 'aws: the answer was lost (the write may have landed)', {
        target: 'aws',
      });
    };
    await expect(store.put('k', 'v3')).rejects.toThrow(); // fate unknown
    targets[0]!.put = put;
    await wipe(targets[0]!); // the only copy of v2 is gone
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const lost: string[] = [];
    store.on('lost', (e) => lost.push(`${e.key}`));
    for (let pass = 0; pass < 5 && journal.backlog() > 0; pass++) await store.repair();
    expect(journal.backlog()).toBe(0);
    expect(lost).toEqual(['k']);
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
  });
});

describe("writes: 'primary' (the documented trade-off)", () => {
  it('an acknowledged write whose only copy is lost before repair is reported lost, never served older', async () => {
    const { store, targets, journal } = setup({ writes: 'primary', amnesia: false });
    await store.put('k', 'v1');
    await store.repair();
    await store.put('k', 'v2'); // aws only, until repair
    await wipe(targets[0]!);
    const lost: string[] = [];
    store.on('lost', (e) => lost.push(e.key));
    await store.repair();
    await store.repair();
    expect(lost).toEqual(['k']);
    expect(journal.backlog()).toBe(0);
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
  });
});

describe('reads abandoned by their time limit', () => {
  // Found by the soak (seed 13: the writer process died of an unhandled 'error' event): a get that
  // answered after the router gave up on its attempt left its body open, and when that download
  // later stalled, its error had no listener.
  it('a body that arrives after the attempt timed out is destroyed, never left to fail unheard', async () => {
    const targets = threeClouds();
    const { store } = setup(
      { failover: { retry: { maxAttempts: 1 }, budget: false, attemptTimeoutMs: 20 } },
      targets,
    );
    await store.put('k', 'v');
    let late: PassThrough | undefined;
    targets[0]!.get = async (key, o) => {
      const real = await targets[0]!.inner.get(key, o);
      real.body.destroy();
      await new Promise((r) => setTimeout(r, 60)); // answers after the attempt's 20 ms limit
      late = new PassThrough();
      setTimeout(() => late!.destroy(new Error('the download stalled')), 10);
      return { info: real.info, body: late };
    };
    expect(await getText(store, 'k')).toBe('v'); // from gcp
    await vi.waitFor(() => expect(late?.destroyed).toBe(true));
    await new Promise((r) => setTimeout(r, 30)); // an unheard 'error' would fail the test run here
  });

  it('so is a body a repair copy gets after its attempt timed out (soak: 10,000-call run)', async () => {
    const targets = threeClouds();
    const { store, journal } = setup(
      { failover: { retry: { maxAttempts: 1 }, budget: false, attemptTimeoutMs: 20 } },
      targets,
    );
    targets[2]!.down = 'unavailable';
    await store.put('k', 'v'); // aws + gcp; azure gets it from repair
    targets[2]!.down = undefined;
    const bodies: PassThrough[] = [];
    for (const t of targets.slice(0, 2)) {
      t.get = async (key, o) => {
        const real = await t.inner.get(key, o);
        real.body.destroy();
        await new Promise((r) => setTimeout(r, 60)); // answers after the attempt's 20 ms limit
        const late = new PassThrough();
        bodies.push(late);
        setTimeout(() => late.destroy(new Error('the download stalled')), 10);
        return { info: real.info, body: late };
      };
    }
    const report = await store.repair();
    expect(report.failed.length + report.skipped).toBeGreaterThan(0);
    expect(journal.backlog()).toBe(1); // left for the next pass
    await vi.waitFor(() => expect(bodies.length).toBe(2));
    await new Promise((r) => setTimeout(r, 30)); // an unheard 'error' would fail the test run here
    expect(bodies.every((b) => b.destroyed)).toBe(true);
  });
});
