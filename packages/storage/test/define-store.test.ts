import { Readable } from 'node:stream';
import { AbortedError, InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import {
  type BlobInfo,
  type BlobStoreAdapter,
  blobInfo,
  defineBlobStore,
  InvalidArgumentError,
  InvalidKeyError,
  type IoWatch,
  type StoreOperation,
  TransferError,
} from '../src/index.js';

const info = (key: string): BlobInfo =>
  blobInfo({ key, size: 0, contentType: 'x/y', metadata: {}, checksums: {} });

/** An adapter that records what reached it; `head` answers for `present` only. */
function recording(extra: Partial<BlobStoreAdapter> = {}) {
  const calls: string[] = [];
  const adapter: BlobStoreAdapter = {
    name: 'rec',
    put: async (r) => {
      calls.push(`put ${r.key} ${r.body.type}`);
      return info(r.key);
    },
    get: async (r) => {
      calls.push(`get ${r.key}`);
      return { info: info(r.key), body: Readable.from([]) };
    },
    head: async (key) => {
      calls.push(`head ${key}`);
      return key === 'present' ? info(key) : null;
    },
    delete: async (r) => {
      calls.push(`delete ${r.key} ${r.ifMatch}`);
    },
    copy: async (r) => {
      calls.push(`copy ${r.from} ${r.to} ${r.ifNoneMatch}`);
      return info(r.to);
    },
    async *list() {
      calls.push('list');
      yield info('a');
      yield info('b');
    },
    ...extra,
  };
  return { calls, store: defineBlobStore(adapter) };
}

/** A watch that fails its operation when told to, as the request watchdog does on a stalled upload. */
function failingWatch(): IoWatch & { fail(): void; ops: StoreOperation[] } {
  let listeners: ((err: TransferError) => void)[] = [];
  let failure: TransferError | undefined;
  return {
    ops: [],
    get failure() {
      return failure;
    },
    run: (fn) => fn(),
    onFailure(listener) {
      listeners.push(listener);
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
    enter: (fn) => fn(),
    watchRequest() {},
    fail() {
      failure = new TransferError('response', 1000, { target: 'rec', operation: 'put' });
      for (const l of listeners) l(failure);
    },
  };
}

describe('defineBlobStore: the checks every store shares', () => {
  const bad: [
    string,
    (s: ReturnType<typeof recording>['store']) => Promise<unknown>,
    new (...a: never[]) => Error,
  ][] = [
    ['put: a bad key before bad options', (s) => s.put('', 'x', null as never), InvalidKeyError],
    ['put: options not an object', (s) => s.put('k', 'x', 'no' as never), InvalidArgumentError],
    ['put: a body of the wrong type', (s) => s.put('k', 42 as never), InvalidArgumentError],
    [
      'put: an md5 with a stream',
      (s) => s.put('k', Readable.from(['x']), { md5: 'a'.repeat(32) }),
      InvalidArgumentError,
    ],
    ['put: bytes of another size', (s) => s.put('k', 'abc', { size: 4 }), InvalidArgumentError],
    ['get: a bad range', (s) => s.get('k', { range: { start: -1 } }), InvalidArgumentError],
    ['get: a signal that is not one', (s) => s.get('k', { signal: {} as never }), InvalidArgumentError],
    ['head: a bad key', (s) => s.head('\u0000'), InvalidKeyError],
    ['exists: options an array', (s) => s.exists('k', [] as never), InvalidArgumentError],
    ['delete: ifMatch "*"', (s) => s.delete('k', { ifMatch: '*' }), InvalidArgumentError],
    ['copy: a bad source key', (s) => s.copy('', 'k'), InvalidKeyError],
    [
      'copy: ifNoneMatch other than "*"',
      (s) => s.copy('a', 'b', { ifNoneMatch: 'x' as never }),
      InvalidArgumentError,
    ],
    [
      'list: a page size of 0',
      (s) => s.list({ pageSize: 0 })[Symbol.asyncIterator]().next(),
      InvalidArgumentError,
    ],
  ];
  it.each(bad)('%s: refused before the adapter is called', async (_name, call, type) => {
    const { calls, store } = recording();
    await expect(call(store)).rejects.toBeInstanceOf(type);
    expect(calls).toEqual([]);
  });

  it('an aborted signal: AbortedError naming the store, nothing sent, the stream body released', async () => {
    const { calls, store } = recording();
    const signal = AbortSignal.abort(new Error('stop'));
    const body = Readable.from(['x']);
    const err = await store.put('k', body, { signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).target).toBe('rec');
    expect(body.destroyed).toBe(true);
    for (const call of [
      () => store.get('k', { signal }),
      () => store.head('k', { signal }),
      () => store.delete('k', { signal }),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(AbortedError);
    }
    expect(calls).toEqual([]);
  });

  it('a put whose watch fails releases the caller stream at once, and after the adapter failed', async () => {
    const watch = failingWatch();
    let release: () => void = () => {};
    const { store } = recording({
      watch: (op) => {
        watch.ops.push(op);
        return watch;
      },
      put: (r) =>
        new Promise((_resolve, reject) => {
          release = () => reject(new Error('adapter failed'));
          expect(r.body.type).toBe('stream');
        }),
    });
    const body = Readable.from(['x']);
    const pending = store.put('k', body);
    await new Promise((r) => setImmediate(r));
    expect(body.destroyed).toBe(false);
    watch.fail();
    expect(body.destroyed).toBe(true);
    release();
    await expect(pending).rejects.toThrow('adapter failed');
    expect(watch.ops).toEqual(['put']);
  });

  it('exists comes from head unless the adapter has its own', async () => {
    const { calls, store } = recording();
    expect(await store.exists('present')).toBe(true);
    expect(await store.exists('absent')).toBe(false);
    expect(calls).toEqual(['head present', 'head absent']);
  });

  it('list stops at an abort between entries', async () => {
    const { store } = recording();
    const controller = new AbortController();
    const seen: string[] = [];
    const run = async () => {
      for await (const e of store.list({ signal: controller.signal })) {
        seen.push('key' in e ? e.key : e.prefix);
        controller.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toEqual(['a']);
  });

  it('setMetadata and presign exist only when the adapter has them; metadata keys lowercased', async () => {
    expect(recording().store.setMetadata).toBeUndefined();
    expect(recording().store.presign).toBeUndefined();
    let got: Record<string, string> = {};
    const { store } = recording({
      setMetadata: async (r) => {
        got = r.metadata;
        return info(r.key);
      },
    });
    await store.setMetadata?.('k', { Owner: 'me' });
    expect(got).toEqual({ owner: 'me' });
    await expect(store.setMetadata?.('k', {}, { ifMatch: '"quoted"' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('the adapter gets checked requests: put options normalized, delete and copy conditions', async () => {
    const { calls, store } = recording();
    await store.put('k', 'abc', { size: 3 });
    await store.delete('k', { ifMatch: 'e1' });
    await store.copy('a', 'b', { ifNoneMatch: '*' });
    expect(calls).toEqual(['put k bytes', 'delete k e1', 'copy a b true']);
  });
});

describe('defineBlobStore: the adapter itself', () => {
  it.each([
    ['no name', { name: undefined }, 'adapter.name'],
    ['a blank name', { name: ' ' }, 'adapter.name'],
    ['no put', { put: undefined }, 'adapter.put'],
    ['list not a function', { list: 'x' }, 'adapter.list'],
    ['watch not a function', { watch: 1 }, 'adapter.watch'],
  ])('%s: InvalidOptionError naming it, at once', (_name, change, path) => {
    const good: Record<string, unknown> = {
      name: 'a',
      put: async () => undefined,
      get: async () => undefined,
      head: async () => null,
      delete: async () => undefined,
      copy: async () => undefined,
      list: async function* () {},
    };
    const err = (() => {
      try {
        defineBlobStore({ ...good, ...change } as never);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe(path);
  });

  it('a class instance with its methods on the prototype and private fields passes', async () => {
    class Adapter {
      readonly name = 'c';
      #puts = 0;
      async put(r: { key: string }) {
        this.#puts++;
        return info(r.key);
      }
      get puts() {
        return this.#puts;
      }
      async get(r: { key: string }) {
        return { info: info(r.key), body: Readable.from([]) };
      }
      async head() {
        return null;
      }
      async delete() {}
      async copy(r: { to: string }) {
        return info(r.to);
      }
      async *list() {}
    }
    const adapter = new Adapter();
    const store = defineBlobStore(adapter);
    await expect(store.put('k', 'x')).resolves.toMatchObject({ key: 'k' });
    expect(adapter.puts).toBe(1);
  });
});
