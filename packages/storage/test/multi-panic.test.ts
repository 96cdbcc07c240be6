import { AllTargetsFailedError } from '@failover/core';
import { type BlobStore, createMemoryStore, getText, StorageError } from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { openMultiStore, useMultiStores } from './multi-fixtures.js';
import { keysOf, switchable } from './multi-helpers.js';

// Issue 10: "while one half-open probe is in flight and every other breaker is open, calls fail in
// 1 ms with all targets skipped although a cloud is up". Through the multi-cloud store (reads over
// every target, writes one copy per target): the calls join the probe and are served by it.

const { open } = useMultiStores();

/** A memory store whose calls wait while it is held (a probe in flight on a slow but live cloud). */
function holdable(name: string) {
  const inner = createMemoryStore({ name });
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let waiting = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'get' && prop !== 'put' && prop !== 'head') return value.bind(target);
      return async (...args: unknown[]) => {
        if (gate !== undefined) {
          waiting++;
          await gate;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as BlobStore;
  return {
    store,
    waiting: () => waiting,
    hold(): void {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release(): void {
      gate = undefined;
      open?.();
    },
  };
}

/** Lets everything that is due run (several rounds of I/O callbacks). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A store over three clouds (memory stores that can be switched down) whose breakers open only
 * when told (`trip`, also the last closed one) and then stay open for `resetTimeoutMs` (a minute).
 */
function openedByWord(resetTimeoutMs = 60_000) {
  const aws = switchable('aws');
  const gcp = switchable('gcp');
  const azure = switchable('azure');
  const { store } = openMultiStore(open, [aws, gcp, azure], {
    failover: {
      retry: { maxAttempts: 1 },
      budget: false,
      breaker: {
        volumeThreshold: 100,
        consecutiveFailures: 0,
        resetTimeoutMs,
        keepLastTarget: false,
      },
    },
  });
  return { store, aws, gcp, azure };
}

/**
 * `openedByWord` with "k" at v1 on every cloud and v2 on azure only (acknowledged, degraded; no
 * repair here), then azure's breaker opened by another instance's word while azure is up.
 */
async function newestOnAzureOnly(resetTimeoutMs?: number): Promise<ReturnType<typeof openedByWord>> {
  const opened = openedByWord(resetTimeoutMs);
  const { store, aws, gcp } = opened;
  await store.put('k', 'v1');
  aws.down = 'network';
  gcp.down = 'network';
  await store.put('k', 'v2');
  aws.down = undefined;
  gcp.down = undefined;
  store.trip('azure');
  return opened;
}

/** Past `EARLY_PROBE_AFTER_MS` (1 s) since the last failure: an early probe may go. */
function aSecondLater(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1100));
}

describe('panic routing through the multi-cloud store', () => {
  it('with a probe in flight and every other breaker open, gets and puts join the probe instead of failing at once', async () => {
    const aws = holdable('aws');
    const gcp = switchable('gcp');
    const azure = switchable('azure');
    const { store } = openMultiStore(open, [aws.store as never, gcp, azure], {
      failover: {
        retry: { maxAttempts: 1 },
        budget: false,
        breaker: { volumeThreshold: 100, consecutiveFailures: 0, resetTimeoutMs: 20 },
      },
    });
    await store.put('k', 'v');
    gcp.down = 'network';
    azure.down = 'network';
    const panics: string[] = [];
    store.on('panic', (e) => panics.push(e.target));
    for (const name of ['aws', 'gcp', 'azure']) store.trip(name);
    await vi.waitFor(() => expect(store.status().targets[0]?.state).toBe('halfOpen'), { timeout: 10_000 });
    // gcp and azure stay open (tripped again: twice as long); aws is half-open.
    store.trip('gcp');
    store.trip('azure');
    aws.hold();
    const probe = getText(store, 'k');
    await vi.waitFor(() => expect(aws.waiting()).toBe(1));
    const settled: string[] = [];
    const joined = getText(store, 'k').finally(() => settled.push('get'));
    const put = store.put('k2', 'w').finally(() => settled.push('put'));
    await settle();
    // Nothing failed in 1 ms: both wait for the probe.
    expect(settled).toEqual([]);
    aws.release();
    expect(await probe).toBe('v');
    expect(await joined).toBe('v');
    expect((await put).size).toBe(1);
    // The get and the put joined aws's probe; the put's second copy (quorum 2) may also have
    // been tried on the open cloud most likely up (a panic of its own), which failed: the put was
    // acknowledged degraded by aws alone.
    expect(panics.filter((t) => t === 'aws').length, panics.join()).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('with every breaker open and no probe running, gets and puts probe early the cloud most likely back', async () => {
    const { store } = openedByWord();
    await store.put('k', 'v');
    const panics: { target: string; early: boolean }[] = [];
    store.on('panic', (e) => panics.push(e));
    // Another instance's word opened every breaker; the clouds are up.
    for (const name of ['aws', 'gcp', 'azure']) store.trip(name);
    // Within a second of the last failure: the call fails at once, as before.
    await expect(getText(store, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
    await aSecondLater();
    expect(await getText(store, 'k')).toBe('v');
    expect(panics).toEqual([{ target: 'aws', early: true }]);
    expect(store.status().targets.map((t) => t.state)).toEqual(['closed', 'open', 'open']);
    // A put: its copies go one per cloud, so the store asks the router which cloud to probe.
    store.trip('aws');
    await aSecondLater();
    const put = await store.put('k2', 'w');
    expect(put.size).toBe(1);
    // gcp failed least recently; the put's second copy (quorum 2) then goes to azure, probed
    // early too: the put is not left with one copy while two clouds are up.
    expect(panics.slice(-2)).toEqual([
      { target: 'gcp', early: true },
      { target: 'azure', early: true },
    ]);
    expect(await getText(store, 'k2')).toBe('w');
  }, 20_000);

  it('a read that found only older copies probes early the open cloud that holds the newest version', async () => {
    const { store } = await newestOnAzureOnly();
    // The error says what each cloud answered, or why it was not asked.
    await expect(getText(store, 'k')).rejects.toThrow(
      /No reachable target holds the newest version .* \(aws: an older copy; gcp: an older copy; azure: skipped \(unavailable\)\)$/,
    );
    await aSecondLater();
    const panics: { target: string; early: boolean }[] = [];
    store.on('panic', (e) => panics.push(e));
    expect(await getText(store, 'k')).toBe('v2');
    expect(panics).toEqual([{ target: 'azure', early: true }]);
  }, 20_000);

  it('a read whose other clouds failed (throttled) or were skipped probes early the open cloud that holds the newest version', async () => {
    // Seen in a loaded fleet soak: aws answered an older copy, gcp was throttled, azure (the
    // holder of the newest version, up) was skipped by its open breaker, and the read failed
    // without probing it.
    const { store, gcp } = await newestOnAzureOnly();
    await aSecondLater();
    gcp.down = 'throttled';
    const panics: { target: string; early: boolean }[] = [];
    store.on('panic', (e) => panics.push(e));
    expect(await getText(store, 'k')).toBe('v2');
    expect(panics).toEqual([{ target: 'azure', early: true }]);
  }, 20_000);

  it('a read whose skipped holder of the newest version turned half-open meanwhile asks it (its usual probe)', async () => {
    const { store, gcp } = await newestOnAzureOnly(300);
    const panics: string[] = [];
    store.on('panic', (e) => panics.push(e.target));
    // aws and gcp hold v1; gcp answers once azure's reset period is over (its breaker
    // half-open), after the read skipped azure.
    gcp.beforeGet = () =>
      vi.waitFor(() => expect(store.status().targets[2]?.state).toBe('halfOpen'), { timeout: 10_000 });
    expect(await getText(store, 'k')).toBe('v2');
    expect(panics).toEqual([]);
    expect(store.status().targets[2]?.state).toBe('closed');
  }, 20_000);

  it("a read whose early probe failed too tells in its error what every cloud said, not only the probe's", async () => {
    const { store, azure } = await newestOnAzureOnly();
    await aSecondLater();
    azure.down = 'network';
    // aws and gcp answer with v1; the early probe of azure (the only holder of v2) fails. The
    // router's error for that last round names azure alone.
    const err: unknown = await getText(store, 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    const failures = (err as AllTargetsFailedError).failures;
    expect(failures.map((f) => `${f.target}: ${f.kind}`)).toEqual([
      'aws: unavailable',
      'gcp: unavailable',
      'azure: network',
    ]);
    expect((err as Error).message).toMatch(
      /aws answered an older copy for "k".*gcp answered an older copy for "k"/,
    );
    expect(failures[2]?.attempts).toBe(1);
  }, 20_000);

  // Seen in the fleet soak: aws was back, but its breaker stayed open (its probe lease held by an
  // instance that was SIGKILLed); gcp was open too; azure, the one cloud admitting calls, failed.
  // Puts, deletes and listings failed without trying aws, and puts before that were acknowledged
  // by azure alone while two clouds were up.
  describe('a fan-out short of its copies probes early an open cloud it skipped', () => {
    it('a put and a delete whose only admitted cloud failed go to the open cloud most likely back', async () => {
      const { store, azure } = openedByWord();
      await store.put('k', 'v');
      const panics: { target: string; early: boolean }[] = [];
      store.on('panic', (e) => panics.push(e));
      store.trip('aws');
      store.trip('gcp');
      await aSecondLater();
      azure.down = 'network';
      const put = await store.put('k2', 'w');
      expect(put.size).toBe(1);
      expect(panics).toEqual([{ target: 'aws', early: true }]);
      expect(await getText(store, 'k2')).toBe('w');
      store.trip('aws');
      await aSecondLater();
      await store.delete('k');
      expect(panics.at(-1)?.early).toBe(true);
      expect(await store.head('k')).toBeNull();
    }, 20_000);

    it('a put that only one cloud took is sent to an open cloud that is back: two copies, not degraded', async () => {
      const { store, aws, gcp } = openedByWord();
      const panics: string[] = [];
      store.on('panic', (e) => panics.push(e.target));
      const degraded: string[] = [];
      store.on('degraded', (e) => degraded.push(e.key));
      store.trip('aws');
      store.trip('gcp');
      await aSecondLater();
      await store.put('k', 'v');
      expect(degraded).toEqual([]);
      expect(await aws.inner.head('k')).not.toBeNull();
      expect(store.status().targets.map((t) => t.state)).toEqual(['closed', 'open', 'closed']);
      expect(panics).toEqual(['aws']);
      // aws and gcp down: k2's early probe fails; within a second of that failure neither is
      // probed again (no retry storm on a dead cloud): both writes are degraded.
      aws.down = 'network';
      gcp.down = 'network';
      store.trip('aws');
      await store.put('k2', 'w');
      await store.put('k3', 'x');
      expect(degraded).toEqual(['k2', 'k3']);
      expect(panics.length).toBeLessThanOrEqual(2);
    }, 20_000);

    it('a put whose skipped cloud turned half-open meanwhile sends it the copy as its usual probe', async () => {
      const { store, aws, gcp, azure } = openedByWord(200);
      await store.put('k', 'v');
      const panics: string[] = [];
      store.on('panic', (e) => panics.push(e.target));
      store.trip('aws');
      gcp.down = 'network';
      // azure answers once aws's reset period is over (its breaker half-open), and fails.
      azure.interpose = async () => {
        await vi.waitFor(() => expect(store.status().targets[0]?.state).toBe('halfOpen'), {
          timeout: 10_000,
        });
        throw new StorageError('network', 'azure: connection reset', { target: 'azure' });
      };
      const put = await store.put('k2', 'w');
      expect(put.size).toBe(1);
      expect(await aws.inner.head('k2')).not.toBeNull();
      expect(panics).toEqual([]); // aws's usual probe, not an early one
      expect(store.status().targets[0]?.state).toBe('closed');
    }, 20_000);

    it('a listing whose only admitted cloud failed lists the open cloud most likely back', async () => {
      const { store, azure } = openedByWord();
      await store.put('a/1', 'v');
      await store.put('a/2', 'v');
      store.trip('aws');
      store.trip('gcp');
      await aSecondLater();
      azure.down = 'network';
      const panics: { target: string; early: boolean }[] = [];
      store.on('panic', (e) => panics.push(e));
      expect(await keysOf(store, 'a/')).toEqual(['a/1', 'a/2']);
      expect(panics).toEqual([{ target: 'aws', early: true }]);
    }, 20_000);
  });
});
