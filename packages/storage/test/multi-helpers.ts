import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FailureKind } from '@failover/core';
import {
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  ContentMismatchError,
  createMemoryJournal,
  createMemoryStore,
  type DeleteOptions,
  type GetOptions,
  type GetResult,
  getBytes,
  type Journal,
  type JournalEntry,
  type ListEntry,
  type ListOptions,
  type OperationOptions,
  type PutOptions,
  type SetMetadataOptions,
  StorageError,
} from '@failover/storage';

/**
 * A memory store that can be switched into an outage: while `down` is set, every call fails with a
 * `StorageError` of that kind (as an adapter reports an unreachable cloud). `calls` counts what
 * reached it, by method. For unit tests of the multi-cloud store's routing logic; the integration
 * tests use real servers and the fault proxy.
 */
export interface SwitchableStore extends BlobStore {
  /** The store underneath, reachable even while down (to inspect or corrupt it). */
  readonly inner: BlobStore;
  /** The kind calls fail with, or `undefined` while up. */
  down: FailureKind | undefined;
  /** While set, a listing stops answering before its next entry (until its signal aborts). */
  stalled: boolean;
  /** Calls that reached the store, by method. */
  readonly calls: Record<string, number>;
  /**
   * While set, a `put` fails at once with a timeout (as an attempt cut by its time limit) but
   * its write is kept and lands later, when {@link SwitchableStore.landLate} is called: a request
   * the client gave up on that still reaches the server.
   */
  late: boolean;
  /** Applies the writes held back by {@link SwitchableStore.late}, in order; returns how many. */
  landLate(): Promise<number>;
  /**
   * When set, runs (once: it is cleared first) just before the next `put` or `delete` reaches the
   * store: something landing between a caller's look at the store and its write (a late request,
   * another writer).
   */
  interpose: (() => Promise<unknown>) | undefined;
  /** Like {@link SwitchableStore.interpose}, before the next `get`: a slow answer. */
  beforeGet: (() => Promise<unknown>) | undefined;
  /**
   * While set, the store checks what it reads against an MD5 it recorded when the object was put
   * through it (as the GCS adapter checks GCS's `md5Hash`): a copy changed behind its back
   * (`inner`) fails with a `ContentMismatchError`, before `get` answers for an object of at most
   * `checksOwnMd5` bytes (with the copy's `info`), at the end of its stream above that.
   */
  checksOwnMd5: number | undefined;
}

export function switchable(name: string): SwitchableStore {
  const inner = createMemoryStore({ name });
  const calls: Record<string, number> = {};
  const held: (() => Promise<unknown>)[] = [];
  const md5s = new Map<string, string>();
  const s: SwitchableStore = {
    name,
    inner,
    down: undefined,
    stalled: false,
    calls,
    late: false,
    interpose: undefined,
    beforeGet: undefined,
    checksOwnMd5: undefined,
    landLate: async () => {
      const n = held.length;
      for (const w of held.splice(0)) await w();
      return n;
    },
    put: (key: string, body: BlobBody, options?: PutOptions) =>
      gate('put', async () => {
        const before = s.interpose;
        s.interpose = undefined;
        await before?.();
        if (!s.late) {
          if (s.checksOwnMd5 === undefined) return inner.put(key, body, options);
          const bytes = Buffer.concat(await collect(body));
          const info = await inner.put(key, bytes, options);
          md5s.set(key, md5(bytes));
          return info;
        }
        const bytes = Buffer.concat(await collect(body));
        const { signal: _signal, ...rest } = options ?? {};
        held.push(() => inner.put(key, bytes, rest));
        throw new StorageError('timeout', `${name}: the put of ${key} timed out (it lands later)`, {
          target: name,
        });
      }),
    get: (key: string, options?: GetOptions): Promise<GetResult> =>
      gate('get', async () => {
        const before = s.beforeGet;
        s.beforeGet = undefined;
        await before?.();
        const got = await inner.get(key, options);
        const expected = md5s.get(key);
        if (s.checksOwnMd5 === undefined || expected === undefined || options?.range !== undefined)
          return got;
        const bytes = await getBytes({ get: async () => got } as unknown as BlobStore, key);
        const mismatch = (withInfo: boolean) =>
          new ContentMismatchError(
            key,
            { checksum: 'md5', expected, actual: md5(bytes), ...(withInfo ? { info: got.info } : {}) },
            { target: name },
          );
        if (md5(bytes) === expected) return { info: got.info, body: Readable.from([bytes]) };
        if (bytes.length <= s.checksOwnMd5) throw mismatch(true);
        // Every byte first, then the failure (the check runs at the end).
        let sent = false;
        const body = new Readable({
          read() {
            if (sent) this.destroy(mismatch(false));
            else this.push(bytes);
            sent = true;
          },
        });
        return { info: got.info, body };
      }),
    head: (key: string, options?: OperationOptions): Promise<BlobInfo | null> =>
      gate('head', () => inner.head(key, options)),
    exists: (key: string, options?: OperationOptions) => gate('exists', () => inner.exists(key, options)),
    delete: (key: string, options?: DeleteOptions) =>
      gate('delete', async () => {
        const before = s.interpose;
        s.interpose = undefined;
        await before?.();
        return inner.delete(key, options);
      }),
    copy: (from: string, to: string, options?: OperationOptions) =>
      gate('copy', () => inner.copy(from, to, options)),
    setMetadata: (key: string, metadata: Record<string, string>, options?: SetMetadataOptions) =>
      gate('setMetadata', () => inner.setMetadata!(key, metadata, options)),
    list: (options?: ListOptions): AsyncIterable<ListEntry> => {
      const self = s;
      return (async function* () {
        calls.list = (calls.list ?? 0) + 1;
        if (self.down !== undefined) throw outage(name, self.down);
        for await (const entry of inner.list(options)) {
          // An outage in the middle of a listing fails its next page.
          if (self.down !== undefined) throw outage(name, self.down);
          if (self.stalled) {
            await new Promise((_resolve, reject) => {
              const signal = options?.signal;
              signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
            });
          }
          yield entry;
        }
      })();
    },
  };
  function gate<R>(method: string, fn: () => Promise<R>): Promise<R> {
    calls[method] = (calls[method] ?? 0) + 1;
    if (s.down !== undefined) return Promise.reject(outage(name, s.down));
    return fn();
  }
  return s;
}

async function collect(body: BlobBody): Promise<Buffer[]> {
  if (typeof body === 'string') return [Buffer.from(body)];
  if (body instanceof Uint8Array) return [Buffer.from(body)];
  const out: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) out.push(Buffer.from(chunk));
  return out;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('base64');
}

function outage(name: string, kind: FailureKind): StorageError {
  return new StorageError(kind, `${name} is down (${kind})`, { target: name });
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The bytes and version each target holds for `key` (null where it is missing), read directly. */
export async function copiesOf(
  stores: readonly SwitchableStore[],
  key: string,
): Promise<({ text: string; version: string | undefined } | null)[]> {
  return Promise.all(
    stores.map(async (s) => {
      const info = await s.inner.head(key);
      if (info === null) return null;
      return { text: (await getBytes(s.inner, key)).toString('utf8'), version: info.metadata.fo_version };
    }),
  );
}

/** Lists every key of a store (objects only). */
export async function keysOf(store: BlobStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list({ prefix })) if ('key' in e) out.push(e.key);
  return out;
}

/** Deletes every object of a target behind the store's back (a recreated bucket, a provider loss). */
export async function wipe(t: SwitchableStore): Promise<void> {
  for (const k of await keysOf(t.inner)) await t.inner.delete(k);
}

/** A parallel put's intent, recorded before the put is sent (no holder yet). */
export function isPutIntent(entry: JournalEntry): boolean {
  return (
    entry.op === 'put' && entry.intent === true && entry.provisional !== true && entry.holders.length === 0
  );
}

/**
 * A memory journal whose appends wait until `hold.release()` (or fail at `hold.fail()`): what is
 * durable is what the inner journal holds. `hold.holds` picks which appends wait (all but parallel puts' intents by default);
 * `hold.passThrough` lets every append through at once.
 */
export function gatedJournal(): {
  journal: Journal;
  inner: Journal;
  hold: {
    passThrough: boolean;
    holds: (entry: JournalEntry) => boolean;
    readonly pending: JournalEntry[];
    release(): void;
    fail(err: Error): void;
  };
} {
  const inner = createMemoryJournal();
  const waiting: { entry: JournalEntry; go: () => void; fail: (err: Error) => void }[] = [];
  const hold = {
    passThrough: false,
    // A parallel put's intent (recorded before it is sent) passes by default: the gate is for
    // the records that acknowledge or settle writes.
    holds: (entry: JournalEntry): boolean => !isPutIntent(entry),
    get pending(): JournalEntry[] {
      return waiting.map((w) => w.entry);
    },
    release(): void {
      for (const w of waiting.splice(0)) w.go();
    },
    fail(err: Error): void {
      for (const w of waiting.splice(0)) w.fail(err);
    },
  };
  const journal: Journal = {
    open: () => inner.open?.() ?? Promise.resolve(),
    append: (entry) => {
      if (hold.passThrough || !hold.holds(entry)) return inner.append(entry);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ entry, go: () => resolve(inner.append(entry)), fail: reject });
      });
    },
    resolve: (id, target) => inner.resolve(id, target),
    pending: () => inner.pending(),
    backlog: () => inner.backlog(),
    compact: () => inner.compact(),
    close: () => inner.close(),
  };
  return { journal, inner, hold };
}

/**
 * How `pass` ends: `'returned'`, `'rejected'`, or `'still running'` when it has not settled within
 * 10 s (real time): for a call that would otherwise hang the test until its own timeout. A guard,
 * never a measure: the calls it watches end at once when they are right.
 */
export function endsOrHangs(pass: Promise<unknown>): Promise<'returned' | 'rejected' | 'still running'> {
  const guard = new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000).unref());
  return Promise.race([
    pass.then(
      () => 'returned' as const,
      () => 'rejected' as const,
    ),
    guard,
  ]);
}
