import type { BlobStore, ListEntry, ListOptions } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { expectInfo } from '../expect.js';

/** The name a listing entry sorts by: an object's key or a prefix entry's prefix. */
function nameOf(entry: ListEntry): string {
  return 'key' in entry ? entry.key : `${entry.prefix}`;
}

async function listAll(store: BlobStore, options: ListOptions): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for await (const entry of store.list(options)) entries.push(entry);
  return entries;
}

/** Shows a listing as names, prefix entries marked with a trailing `(prefix)`. */
function show(entries: readonly ListEntry[], prefix: string): string[] {
  return entries.map((e) =>
    'key' in e ? e.key.slice(prefix.length) : `${e.prefix.slice(prefix.length)} (prefix)`,
  );
}

/**
 * Listing: prefix, delimiter (prefix entries), pages, order. Keys here are ASCII and never both an
 * object and a prefix, where every cloud and emulator agrees on the order.
 */
export function listCases(ctx: ContractContext): void {
  describe('list', () => {
    const layout = ['a', 'b', 'c/d', 'c/e', 'c/f/g', 'd', 'e/f'];

    async function seed(store: BlobStore, prefix: string): Promise<void> {
      for (const key of layout) await store.put(prefix + key, `body of ${key}`, { metadata: { name: 'x' } });
      // A neighbour that shares the prefix's text but not the prefix itself.
      await store.put(`${prefix.slice(0, -1)}-neighbour`, 'outside');
    }

    it('lists every key under a prefix, in order, with each entry described', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list');
      await seed(store, prefix);
      const entries = await listAll(store, { prefix });
      expect(show(entries, prefix)).toEqual(layout);
      for (const entry of entries) {
        const key = nameOf(entry);
        const size = Buffer.byteLength(`body of ${key.slice(prefix.length)}`);
        expectInfo(entry as never, { key, size, metadata: { name: 'x' } }, 'list');
      }
    });

    it('rolls keys up into prefix entries with a delimiter', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list-delimiter');
      await seed(store, prefix);
      const entries = await listAll(store, { prefix, delimiter: '/' });
      expect(show(entries, prefix)).toEqual(['a', 'b', 'c/ (prefix)', 'd', 'e/ (prefix)']);
      const nested = await listAll(store, { prefix: `${prefix}c/`, delimiter: '/' });
      expect(show(nested, prefix)).toEqual(['c/d', 'c/e', 'c/f/ (prefix)']);
    });

    it('rolls keys up at a delimiter other than /', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list-dash');
      for (const key of ['a-1', 'a-2', 'b', 'c-x-y', 'c-z']) await store.put(prefix + key, key);
      const entries = await listAll(store, { prefix, delimiter: '-' });
      expect(show(entries, prefix)).toEqual(['a- (prefix)', 'b', 'c- (prefix)']);
    });

    it('matches a prefix that ends inside a key segment', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list-partial');
      for (const key of ['photo-1', 'photo-2/x', 'photos/y', 'other']) await store.put(prefix + key, key);
      const entries = await listAll(store, { prefix: `${prefix}photo` });
      expect(show(entries, prefix)).toEqual(['photo-1', 'photo-2/x', 'photos/y']);
      const grouped = await listAll(store, { prefix: `${prefix}photo`, delimiter: '/' });
      expect(show(grouped, prefix)).toEqual(['photo-1', 'photo-2/ (prefix)', 'photos/ (prefix)']);
    });

    for (const pageSize of [1, 2, 3]) {
      it(`pages through keys with pageSize ${pageSize}: every entry exactly once, in order`, async () => {
        const store = ctx.store();
        const prefix = ctx.prefix(`list-pages-${pageSize}`);
        const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'n/x', 'n/y', 'n/z', 'z'];
        for (const key of keys) await store.put(prefix + key, key);
        expect(show(await listAll(store, { prefix, pageSize }), prefix)).toEqual(keys);
        expect(show(await listAll(store, { prefix, pageSize, delimiter: '/' }), prefix)).toEqual([
          'k0',
          'k1',
          'k2',
          'k3',
          'k4',
          'k5',
          'k6',
          'n/ (prefix)',
          'z',
        ]);
      });
    }

    it('lists nothing under a prefix that holds no keys', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list-empty');
      expect(await listAll(store, { prefix })).toEqual([]);
      expect(await listAll(store, { prefix, delimiter: '/' })).toEqual([]);
      await store.put(`${prefix}x/only`, 'x');
      await store.delete(`${prefix}x/only`);
      expect(await listAll(store, { prefix })).toEqual([]);
      expect(await listAll(store, { prefix, delimiter: '/' })).toEqual([]);
    });

    it('rejects invalid list options with InvalidArgumentError', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('list-invalid');
      for (const options of [{ pageSize: 0 }, { pageSize: 1001 }, { pageSize: 2.5 }, { delimiter: '' }]) {
        let error: unknown;
        try {
          await listAll(store, { prefix, ...options });
        } catch (err) {
          error = err;
        }
        expect(error).toMatchObject({ name: 'InvalidArgumentError', kind: 'invalid' });
      }
    });
  });
}
