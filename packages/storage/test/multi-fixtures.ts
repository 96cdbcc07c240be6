import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type BlobInfo,
  createMemoryJournal,
  createMultiCloudStore,
  getText,
  type Journal,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  readAll,
} from '@failover/storage';
import { afterEach, expect, vi } from 'vitest';
import { copiesOf, type SwitchableStore, switchable } from './multi-helpers.js';

/**
 * The shared fixtures of the multi-cloud store's unit tests: stores over switchable memory
 * targets, closed after each test; the three clouds; a restart on what a journal made durable;
 * copies planted behind a store's back; chunked bodies. The test doubles themselves
 * (`switchable`, `gatedJournal`) and the direct looks at targets live in multi-helpers.ts.
 */

/** Options of a store in a test, or a function giving them (called at each `setup`). */
export type StoreDefaults = Partial<MultiCloudStoreOptions> | (() => Partial<MultiCloudStoreOptions>);

/** The targets' names, in the order the tests use them (the first one is the primary). */
export const CLOUDS: readonly string[] = ['aws', 'gcp', 'azure'];

/** Three fresh switchable memory targets, named {@link CLOUDS}. */
export function threeClouds(): SwitchableStore[] {
  return CLOUDS.map((name) => switchable(name));
}

/**
 * A multi-cloud store over `targets` for unit tests: one attempt per target, no retry budget,
 * breakers that do not trip, repair only when asked, no epoch markers, and a memory journal
 * unless `options` gives one. The store is pushed onto `open`, which the test file closes after each test.
 */
export function openMultiStore(
  open: MultiCloudStore[],
  targets: SwitchableStore[],
  options: Partial<MultiCloudStoreOptions> = {},
): { store: MultiCloudStore; targets: SwitchableStore[]; journal: Journal } {
  const journal = options.journal ?? createMemoryJournal();
  const store = createMultiCloudStore({
    targets,
    journal,
    failover: {
      retry: { maxAttempts: 1 },
      budget: false,
      breaker: { volumeThreshold: 100, consecutiveFailures: 0 },
    },
    // Epoch markers add calls and objects the routing tests do not expect; tested on their own.
    amnesia: false,
    ...options,
    // No settle window for late requests unless a test asks for one (tested on their own).
    repair: { intervalMs: false, delayMs: false, settleMs: 0, ...options.repair },
  });
  open.push(store);
  return { store, targets, journal };
}

/**
 * For a test file: the stores it opens are closed after each test (with real timers back).
 * `setup(options, targets)` opens one over `targets` (three fresh clouds by default) with
 * `defaults`, then `options`, over {@link openMultiStore}'s settings; `open` takes stores opened
 * otherwise.
 */
export function useMultiStores(defaults: StoreDefaults = {}): {
  open: MultiCloudStore[];
  setup: (
    options?: Partial<MultiCloudStoreOptions>,
    targets?: SwitchableStore[],
  ) => { store: MultiCloudStore; targets: SwitchableStore[]; journal: Journal };
} {
  const open: MultiCloudStore[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const setup = (options: Partial<MultiCloudStoreOptions> = {}, targets = threeClouds()) => {
    const base = typeof defaults === 'function' ? defaults() : defaults;
    return openMultiStore(open, targets, { ...base, ...options });
  };
  return { open, setup };
}

/**
 * The process died: what survives is what `durable` made durable. A new memory journal holding
 * its pending entries, for a store opened after the crash.
 */
export async function survivingJournal(durable: Journal): Promise<Journal> {
  const journal = createMemoryJournal();
  for (const e of await durable.pending()) await journal.append(e);
  return journal;
}

/**
 * Writes an object straight into a target, as another writer would: with the store's metadata
 * (`version`, and the body's SHA-256 unless `sha` is given), or none without `version`.
 */
export async function plant(
  t: SwitchableStore,
  key: string,
  text: string,
  version?: string,
  sha?: string,
): Promise<void> {
  const metadata: Record<string, string> =
    version === undefined
      ? {}
      : { fo_version: version, fo_sha256: sha ?? createHash('sha256').update(text).digest('hex') };
  await t.inner.put(key, text, { metadata });
}

/** A stream of `bytes` in 64 KiB chunks (a new stream each time: not replayable by itself). */
export function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) chunks.push(bytes.subarray(at, at + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

/**
 * Reads `key` through `store`, whose copy on aws (the first cloud) is damaged: the read must move
 * on to gcp's intact copy (`text`), and `events` (the store's `integrityError` events, collected
 * by the caller) must hold the one report of aws's copy of the version `written`.
 */
export async function expectReadPastDamagedAws(
  store: MultiCloudStore,
  key: string,
  text: string,
  written: BlobInfo & { version?: string },
  events: readonly unknown[],
): Promise<void> {
  const { info: got, body } = await store.get(key);
  expect(got.target).toBe('gcp');
  expect((await readAll(body)).toString()).toBe(text);
  expect(events).toEqual([
    expect.objectContaining({
      key,
      target: 'aws',
      version: written.version,
      expected: written.checksums.sha256,
    }),
  ]);
}

/**
 * A degraded write (gcp and azure down: aws alone holds it) whose one copy then reads back
 * damaged (a bad disk read, a middlebox): same metadata, other bytes. `readFirst`: a read meets
 * them before gcp and azure are back; `checksOwnMd5`: aws's store checks its own MD5 (see
 * `SwitchableStore.checksOwnMd5`). `heal` puts the right bytes back; `lost` collects `lost` events.
 */
export async function degradedCopyDamaged(
  setup: (options?: Partial<MultiCloudStoreOptions>) => {
    store: MultiCloudStore;
    targets: SwitchableStore[];
  },
  options: { readFirst?: boolean; checksOwnMd5?: number } = {},
) {
  const { store, targets } = setup({ writes: { quorum: 2, minimum: 1 } });
  targets[0]!.checksOwnMd5 = options.checksOwnMd5;
  const lost: unknown[] = [];
  store.on('lost', (e) => lost.push(e));
  targets[1]!.down = 'unavailable';
  targets[2]!.down = 'unavailable';
  const info = await store.put('k', 'the only copy');
  const plantOnAws = (text: string) => plant(targets[0]!, 'k', text, info.version!, info.checksums.sha256);
  await plantOnAws('damaged bytes');
  // A read that meets the damaged bytes first reports them (queued: aws "lacks" its version).
  if (options.readFirst) await expect(getText(store, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
  targets[1]!.down = undefined;
  targets[2]!.down = undefined;
  store.recover('gcp');
  store.recover('azure');
  const texts = async () => (await copiesOf(targets, 'k')).map((c) => c?.text);
  return { store, targets, lost, texts, heal: () => plantOnAws('the only copy') };
}
