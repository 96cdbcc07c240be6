import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createFileJournal,
  createMultiCloudStore,
  getText,
  type MultiCloudStore,
  StorageError,
} from '@failover/storage';
import { faults } from '@failover/testkit';
import { describe, expect, it, vi } from 'vitest';
import { type Buckets, freshBuckets, testFailover, useClouds } from './harness.js';
import type { CrashChildConfig, FromCrashChild, Hold, ToCrashChild } from './primary-crash-child.js';

// A 'primary' put makes its journal record beside its upload. These tests kill the writer process
// (SIGKILL) between the two, with real servers behind the fault proxies, then open a new store on
// the journal it left and check what it serves and what repair makes of it: never a version older
// than one that was acknowledged or read, and every cloud on one version in the end.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./primary-crash-child.ts', import.meta.url));
/** The dead writer's settle window: how long a request of it is waited for before it is written off. */
const SETTLE_MS = 1500;

/** The writer process: sends requests, waits for answers of a type. */
class Writer {
  readonly #proc: ChildProcess;
  readonly #messages: FromCrashChild[] = [];
  readonly #waiters: (() => void)[] = [];
  #stderr = '';

  constructor(config: CrashChildConfig) {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.#proc.stderr!.setEncoding('utf8');
    this.#proc.stderr!.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-4000);
    });
    this.#proc.on('message', (m: FromCrashChild) => {
      this.#messages.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  send(message: ToCrashChild): void {
    this.#proc.send(message);
  }

  /** The next message of `type` (received since the last call that took one). */
  async next<T extends FromCrashChild['type']>(type: T): Promise<Extract<FromCrashChild, { type: T }>> {
    for (;;) {
      const at = this.#messages.findIndex((m) => m.type === type || m.type === 'failed');
      if (at >= 0) {
        const [m] = this.#messages.splice(at, 1);
        if (m!.type === 'failed' && type !== 'failed') throw new Error(`writer: ${m!.message}`);
        return m as Extract<FromCrashChild, { type: T }>;
      }
      if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) {
        throw new Error(`writer exited: ${this.#stderr}`);
      }
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const gone = new Promise<void>((r) => this.#proc.once('close', () => r()));
    this.#proc.kill('SIGKILL');
    await gone;
  }
}

describe("'primary' puts: the writer killed between its journal record and its upload (real servers)", () => {
  const env = useClouds();

  /** A writer over fresh buckets that wrote v1 of `k` to every cloud. */
  async function writerWithV1(
    label: string,
  ): Promise<{ writer: Writer; buckets: Buckets; journalDir: string; v1: string }> {
    const clouds = env.clouds;
    const buckets = await freshBuckets(clouds, label);
    const journalDir = join(clouds.tmp, `journal-${buckets.name}`);
    const writer = new Writer({
      bucket: buckets.name,
      s3Endpoint: clouds.proxies[0].url,
      gcsEndpoint: clouds.proxies[1].url,
      azureConnectionString: clouds.azure.connectionStringFor(clouds.proxies[2].url),
      journalDir,
      settleMs: SETTLE_MS,
    });
    await writer.next('ready');
    writer.send({ type: 'put', key: 'k', text: 'v1' });
    const v1 = (await writer.next('acked')).version;
    writer.send({ type: 'repair' });
    expect((await writer.next('repaired')).backlog).toBe(0);
    return { writer, buckets, journalDir, v1 };
  }

  async function arm(writer: Writer, hold: Hold): Promise<void> {
    writer.send({ type: 'arm', hold });
    await writer.next('armed');
  }

  /** The store a restarted process opens on the dead writer's journal (the lock is taken over). */
  function restart(buckets: Buckets, journalDir: string): MultiCloudStore {
    const store = createMultiCloudStore({
      targets: buckets.viaProxy,
      writes: 'primary',
      journal: createFileJournal({ dir: journalDir }),
      failover: testFailover(2000),
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      amnesia: false,
    });
    env.stores.push(store);
    return store;
  }

  /** What each cloud holds of `k`, straight from the servers. */
  async function held(buckets: Buckets): Promise<(string | null)[]> {
    return Promise.all(
      buckets.direct.map(async (s) => ((await s.exists('k')) ? (await getText(s, 'k')).toString() : null)),
    );
  }

  /** Repairs until nothing is pending (the dead writer's settle window passes on the way). */
  async function repairAll(store: MultiCloudStore): Promise<void> {
    await vi.waitFor(
      async () => {
        const report = await store.repair();
        expect(report.backlog).toBe(0);
      },
      { timeout: 30_000, interval: 200 },
    );
  }

  /** A read with the primary cloud down: it fails as unavailable, or returns `allowed`. */
  async function readWithPrimaryDown(store: MultiCloudStore, allowed: string | undefined): Promise<void> {
    await env.clouds.proxies[0].setFault(faults.refuse());
    const got = await getText(store, 'k').then(
      (text) => text,
      (err: unknown) => err,
    );
    await env.clouds.proxies[0].setFault(faults.pass());
    if (typeof got === 'string') expect(got).toBe(allowed);
    else {
      expect(got).toBeInstanceOf(StorageError);
      expect((got as StorageError).kind).toBe('unavailable');
    }
  }

  it('killed after the record was durable, before the upload landed: v1 stays, nothing older or lost', async () => {
    const { writer, buckets, journalDir } = await writerWithV1('crash-record');
    // The upload to S3 is held in its proxy (never forwarded once the writer's connection closes).
    await env.clouds.proxies[0].setFault(faults.latency(600_000, { match: { method: 'PUT' } }));
    writer.send({ type: 'put', key: 'k', text: 'v2' });
    await vi.waitFor(
      async () => {
        const file = await readFile(join(journalDir, 'journal.jsonl'), 'utf8');
        expect(file).toContain('"provisional":true');
      },
      { timeout: 20_000, interval: 20 },
    );
    await writer.kill();
    await env.clouds.proxies[0].setFault(faults.pass());

    const store = restart(buckets, journalDir);
    const lost: string[] = [];
    store.on('lost', (e) => lost.push(e.key));
    // S3, the record's holder, answers for it: v2 is not there, so it was never acknowledged.
    expect(await getText(store, 'k')).toBe('v1');
    // Without it, the read fails as unavailable or serves v1, the newest acknowledged version: the
    // holder was just seen without v2 (an acknowledged v2 would be there), and once the record's
    // settle window has passed v2 cannot land any more and repair writes the record off. Never v2,
    // never anything older than v1.
    await readWithPrimaryDown(store, 'v1');
    await repairAll(store);
    expect(await held(buckets)).toEqual(['v1', 'v1', 'v1']);
    expect(await getText(store, 'k')).toBe('v1');
    expect(lost).toEqual([]);
  });

  it('killed after the upload landed, before its record was durable: not acknowledged, converges on v2', async () => {
    const { writer, buckets, journalDir } = await writerWithV1('crash-upload');
    await arm(writer, 'record');
    writer.send({ type: 'put', key: 'k', text: 'v2' });
    await vi.waitFor(async () => expect((await held(buckets))[0]).toBe('v2'), {
      timeout: 20_000,
      interval: 20,
    });
    await writer.kill();

    const store = restart(buckets, journalDir);
    expect(await getText(store, 'k')).toBe('v2'); // the primary holds it
    const report = await store.reconcile();
    expect(report.errors).toEqual([]);
    expect(await held(buckets)).toEqual(['v2', 'v2', 'v2']);
    // Once read, never older: with S3 down, the others now hold v2 too.
    await readWithPrimaryDown(store, 'v2');
    expect(await getText(store, 'k')).toBe('v2');
  });

  it('killed after the put was acknowledged, before its acknowledged entry was durable: never older, repaired', async () => {
    const { writer, buckets, journalDir } = await writerWithV1('crash-ack');
    await arm(writer, 'acknowledged');
    writer.send({ type: 'put', key: 'k', text: 'v2' });
    await writer.next('acked');
    await writer.kill();
    const file = await readFile(join(journalDir, 'journal.jsonl'), 'utf8');
    expect(file).toContain('"provisional":true'); // all the journal knows of v2

    const store = restart(buckets, journalDir);
    const events: string[] = [];
    for (const name of ['lost', 'conflict'] as const) store.on(name, () => events.push(name));
    // v2 was acknowledged and lives on S3 only: with S3 down, GCS's and Azure's v1 is not served.
    await readWithPrimaryDown(store, undefined);
    expect(await getText(store, 'k')).toBe('v2');
    await repairAll(store);
    expect(await held(buckets)).toEqual(['v2', 'v2', 'v2']);
    await readWithPrimaryDown(store, 'v2');
    expect(events).toEqual([]);
  });

  /** Waits until the dead writer's journal file has a line with every one of `parts`. */
  async function journalHas(journalDir: string, ...parts: string[]): Promise<void> {
    await vi.waitFor(
      async () => {
        const file = await readFile(join(journalDir, 'journal.jsonl'), 'utf8');
        expect(file.split('\n').some((line) => parts.every((p) => line.includes(p)))).toBe(true);
      },
      { timeout: 20_000, interval: 20 },
    );
  }

  /** What a read through the store answers for `key`: the version found, not found, or unavailable. */
  async function readAnswer(store: MultiCloudStore, key: string): Promise<string | null | 'unavailable'> {
    try {
      const info = await store.head(key);
      return info === null ? null : (info.version ?? '');
    } catch (err) {
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).kind).toBe('unavailable');
      return 'unavailable';
    }
  }

  /**
   * The listing agrees with reads, key by key: a key a read finds is listed at the version the read
   * returns, a key a read answers "not found" for is not listed; a key a read cannot answer for
   * (its newest write's holder is down) is listed no older than `acked` (the newest acknowledged
   * version, when there is one). Returns what was listed (no version for a key listed from S3).
   */
  async function listingMatchesReads(
    store: MultiCloudStore,
    acked: Record<string, string | null>,
  ): Promise<Map<string, string | undefined>> {
    const listed = new Map<string, string | undefined>();
    for await (const e of store.list()) if ('key' in e) listed.set(e.key, e.version);
    for (const [key, version] of Object.entries(acked)) {
      const read = await readAnswer(store, key);
      if (read === null) expect(listed.has(key), `${key} listed, read: not found`).toBe(false);
      else if (read === 'unavailable') {
        if (version !== null) {
          expect(listed.has(key), `${key} not listed, acknowledged ${version}`).toBe(true);
          const at = listed.get(key);
          expect(at === undefined || at >= version, `${key} listed at ${at}, acknowledged ${version}`).toBe(
            true,
          );
        }
      } else {
        expect(listed.has(key), `${key} not listed, read: ${read}`).toBe(true);
        // S3 listings carry no metadata: a key listed from S3 has no version to compare.
        if (listed.get(key) !== undefined) expect(listed.get(key), `${key}: listed vs read`).toBe(read);
        if (version !== null)
          expect(read >= version, `${key} read ${read}, acknowledged ${version}`).toBe(true);
      }
    }
    return listed;
  }

  /** The listing and reads with the primary (S3) refusing connections. */
  async function withPrimaryDown<T>(fn: () => Promise<T>): Promise<T> {
    await env.clouds.proxies[0].setFault(faults.refuse());
    try {
      return await fn();
    } finally {
      await env.clouds.proxies[0].setFault(faults.pass());
    }
  }

  it('listings after a crash: acknowledged puts known only by their provisional records are listed, never older', async () => {
    const { writer, buckets, journalDir } = await writerWithV1('list-ack');
    await arm(writer, 'acknowledged');
    writer.send({ type: 'put', key: 'k', text: 'v2' });
    const v2 = (await writer.next('acked')).version;
    writer.send({ type: 'put', key: 'n', text: 'n1' });
    const n1 = (await writer.next('acked')).version;
    await journalHas(journalDir, '"provisional":true', '"key":"n"');
    await writer.kill();

    const store = restart(buckets, journalDir);
    const acked = { k: v2, n: n1 };
    // S3 (the only holder) down: GCS's v1 of k is not listed, and n (on S3 only) is not missed.
    const down = await withPrimaryDown(() => listingMatchesReads(store, acked));
    expect([...down]).toEqual([
      ['k', v2],
      ['n', n1],
    ]);
    const up = await listingMatchesReads(store, acked);
    expect([...up]).toEqual([
      ['k', v2],
      ['n', n1],
    ]);
    await repairAll(store);
    expect(await held(buckets)).toEqual(['v2', 'v2', 'v2']);
    expect([...(await withPrimaryDown(() => listingMatchesReads(store, acked)))]).toEqual([
      ['k', v2],
      ['n', n1],
    ]);
  });

  it('listings after a crash: puts whose upload never landed are listed as reads see them', async () => {
    const { writer, buckets, journalDir, v1 } = await writerWithV1('list-record');
    await env.clouds.proxies[0].setFault(faults.latency(600_000, { match: { method: 'PUT' } }));
    writer.send({ type: 'put', key: 'k', text: 'v2' });
    writer.send({ type: 'put', key: 'n', text: 'n1' });
    await journalHas(journalDir, '"provisional":true', '"key":"n"');
    await journalHas(journalDir, '"provisional":true', '"key":"k"', '"sha256"');
    await writer.kill();
    await env.clouds.proxies[0].setFault(faults.pass());

    const store = restart(buckets, journalDir);
    const acked = { k: v1, n: null };
    // S3 answers for both: k is still v1, n does not exist.
    expect([...(await listingMatchesReads(store, acked))]).toEqual([['k', v1]]);
    // Without S3 nothing can say whether they landed: listed (from the journal), never older than v1.
    await withPrimaryDown(() => listingMatchesReads(store, acked));
    await repairAll(store);
    expect(await held(buckets)).toEqual(['v1', 'v1', 'v1']);
    expect([...(await listingMatchesReads(store, acked)).keys()]).toEqual(['k']);
    expect([...(await withPrimaryDown(() => listingMatchesReads(store, acked)))]).toEqual([['k', v1]]);
  });

  it('listings after a crash: a delete in flight is not listed, and stays deleted', async () => {
    const { writer, buckets, journalDir } = await writerWithV1('list-delete');
    await env.clouds.proxies[0].setFault(faults.latency(600_000, { match: { method: 'DELETE' } }));
    writer.send({ type: 'delete', key: 'k' });
    await journalHas(journalDir, '"op":"delete"', '"key":"k"');
    await writer.kill();
    await env.clouds.proxies[0].setFault(faults.pass());

    const store = restart(buckets, journalDir);
    const acked = { k: null };
    expect([...(await listingMatchesReads(store, acked))]).toEqual([]);
    expect([...(await withPrimaryDown(() => listingMatchesReads(store, acked)))]).toEqual([]);
    await repairAll(store);
    expect(await held(buckets)).toEqual([null, null, null]);
    expect([...(await listingMatchesReads(store, acked))]).toEqual([]);
  });
});
