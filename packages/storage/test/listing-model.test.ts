import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BlobStore,
  compareUtf8,
  createFileSystemStore,
  createMemoryStore,
  getText,
  isPrefixEntry,
  type ListOptions,
} from '@failover/storage';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The listing a store must return, computed from a plain map of keys. */
function expectedListing(keys: Iterable<string>, options: ListOptions): string[] {
  const prefix = options.prefix ?? '';
  const out: string[] = [];
  for (const key of [...keys].filter((k) => k.startsWith(prefix)).sort(compareUtf8)) {
    const at = options.delimiter ? key.indexOf(options.delimiter, prefix.length) : -1;
    const name = at < 0 ? key : `${key.slice(0, at + options.delimiter!.length)}*`;
    if (out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

async function listing(store: BlobStore, options: ListOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list(options)) out.push(isPrefixEntry(e) ? `${e.prefix}*` : e.key);
  return out;
}

// Characters chosen to stress ordering and encoding: '/' and '-' sort around each other, 'a' vs
// 'A' differ only in case, U+FF5E sorts before an emoji in UTF-8 but after it in UTF-16.
const segmentChar = fc.constantFrom('a', 'A', 'b', '-', '.', ' ', '%', '\uff5e', '😀');
const segment = fc.array(segmentChar, { minLength: 0, maxLength: 3 }).map((cs) => cs.join(''));
const key = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .map((segs) => segs.join('/'))
  .filter((k) => k.length > 0 && !k.split('/').some((s) => s === '.' || s === '..'));
const op = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key }),
  fc.record({ type: fc.constant('delete' as const), key }),
);
const listOptions = fc.record({
  prefix: fc.option(
    fc.oneof(
      key,
      fc.constant(''),
      key.map((k) => `${k}/`),
    ),
    { nil: undefined },
  ),
  delimiter: fc.option(fc.constantFrom('/', '-', 'a/'), { nil: undefined }),
  pageSize: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

describe.each([
  ['memory', async () => ({ store: createMemoryStore(), done: async () => {} })],
  [
    'filesystem',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'failover-model-'));
      return {
        store: createFileSystemStore({ root }),
        done: () => rm(root, { recursive: true, force: true }),
      };
    },
  ],
] as const)('%s store listing model', (_name, make) => {
  let made: { store: BlobStore; done: () => Promise<void> };
  beforeAll(async () => {
    made = await make();
  });
  afterAll(async () => {
    await made.done();
  });

  it('lists keys in UTF-8 byte order, not UTF-16 order', async () => {
    const prefix = 'order/';
    for (const k of ['😀', '\uff5e', 'z', 'é', 'a']) await made.store.put(prefix + k, k);
    expect(await listing(made.store, { prefix })).toEqual(
      ['a', 'z', 'é', '\uff5e', '😀'].map((k) => prefix + k),
    );
  });

  it('agrees with a model over random puts, deletes and listings', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.array(listOptions, { minLength: 1, maxLength: 4 }),
        async (ops, lists) => {
          const base = `model-${run++}/`;
          const model = new Map<string, string>();
          for (const [i, o] of ops.entries()) {
            if (o.type === 'put') {
              await made.store.put(base + o.key, `v${i}`);
              model.set(base + o.key, `v${i}`);
            } else {
              await made.store.delete(base + o.key);
              model.delete(base + o.key);
            }
          }
          for (const options of lists) {
            const scoped = { ...options, prefix: base + (options.prefix ?? '') };
            expect(await listing(made.store, scoped)).toEqual(expectedListing(model.keys(), scoped));
          }
          for (const [k, v] of model) expect(await getText(made.store, k)).toBe(v);
          for (const k of model.keys()) await made.store.delete(k);
          expect(await listing(made.store, { prefix: base })).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
