import { InvalidOptionError } from '@failover/core';
import { type BlobStore, createMemoryStore } from '@failover/storage';
import { blobStoreContract, INVALID_IF_MATCH, INVALID_KEYS, SPECIAL_KEYS } from '@failover/testkit/contract';
import { afterAll, describe, expect, it } from 'vitest';

// The suite itself, run small against a memory store given as { store, cleanup }: afterwards every
// key it wrote must be gone and cleanup must have run exactly once.
const store: BlobStore = createMemoryStore({ name: 'contract-self-test' });
let cleanups = 0;
blobStoreContract(
  'memory (self-test)',
  () => ({
    store,
    cleanup: () => {
      cleanups++;
    },
  }),
  { bufferBytes: 64 * 1024, largeObjectBytes: 512 * 1024, keyPrefix: 'self-test/' },
);

afterAll(async () => {
  expect(cleanups).toBe(1);
  const left: unknown[] = [];
  for await (const entry of store.list({ prefix: 'self-test/' })) left.push(entry);
  expect(left).toEqual([]);
});

describe('blobStoreContract options', () => {
  it('refuses invalid sizes and timeouts, naming the option', () => {
    for (const [option, value] of [
      ['largeObjectBytes', 0],
      ['bufferBytes', -1],
      ['timeoutMs', 1.5],
      ['ifMatch', 'yes'],
    ] as const) {
      let error: unknown;
      try {
        blobStoreContract('bad', () => createMemoryStore(), { [option]: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
    }
  });

  it('exports the key lists it uses, for adapters that want more checks', () => {
    expect(SPECIAL_KEYS.length).toBeGreaterThan(5);
    expect(INVALID_KEYS.map(([, key]) => key)).toContain('');
    expect(INVALID_IF_MATCH.map(([, value]) => value)).toContain('*');
  });
});
