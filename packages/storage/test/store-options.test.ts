import { InvalidOptionError } from '@failover/core';
import {
  createFallbackJournal,
  createFileSystemStore,
  createMemoryJournal,
  createMemoryStore,
  type FileSystemStoreOptions,
  keyPrefixOption,
  storeNameOption,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { openMultiStore, useMultiStores } from './multi-fixtures.js';
import { switchable } from './multi-helpers.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidOptionError');
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidOptionError);
  return (err as Error).message;
}

const { open } = useMultiStores();

describe('store options read by the one options reader', () => {
  it.each([
    [() => createFileSystemStore('x' as never), 'Invalid option "options": must be an object, got "x"'],
    [() => createFileSystemStore({} as FileSystemStoreOptions), 'Invalid option "root": is required'],
    [() => createFileSystemStore({ root: ' ' }), 'Invalid option "root": must be a non-empty directory path'],
    [
      () => createFileSystemStore({ root: 'a\0b' }),
      'Invalid option "root": must be a non-empty directory path',
    ],
    [
      () => createFileSystemStore({ root: 'r', name: '' }),
      'Invalid option "name": must be a non-empty string, got ""',
    ],
    [
      () => createFileSystemStore({ root: 'r', nmae: 'x' } as never),
      'Invalid option "nmae": is not a known option (known: root, name)',
    ],
    [
      () => createMemoryStore({ name: 3 } as never),
      'Invalid option "name": must be a non-empty string, got 3',
    ],
    [
      () => createMemoryStore({ label: 'x' } as never),
      'Invalid option "label": is not a known option (known: name)',
    ],
    [
      () => createFallbackJournal({ primary: createMemoryJournal() } as never),
      'Invalid option "fallback": is required (a Journal',
    ],
    [
      () => createFallbackJournal({ primary: {}, fallback: createMemoryJournal() } as never),
      'Invalid option "primary": must be a Journal (createRedisJournal, createFileJournal, createMemoryJournal...), got an object',
    ],
    [
      () =>
        createFallbackJournal({
          primary: createMemoryJournal(),
          fallback: createMemoryJournal(),
          mergeIntervalMs: 0,
        }),
      'Invalid option "mergeIntervalMs": must be an integer from 1 to 2147483647, got 0',
    ],
    [() => keyPrefixOption(3), 'Invalid option "prefix": must be a string, got 3'],
    [() => keyPrefixOption('../'), 'Invalid option "prefix": must be a valid key prefix'],
    [() => storeNameOption(' ', 'd'), 'Invalid option "name": must be a non-empty string, got " "'],
    [
      () => storeNameOption(7, 'd', 'gcs.name'),
      'Invalid option "gcs.name": must be a non-empty string, got 7',
    ],
  ])('%#: %s', (fn, expected) => {
    expect(message(fn)).toContain(expected);
  });

  it('keeps the defaults', () => {
    expect(createMemoryStore().name).toBe('memory');
    expect(storeNameOption(undefined, 'gcs:b')).toBe('gcs:b');
    expect(keyPrefixOption(undefined)).toBe('');
  });

  it('drill and repair options', async () => {
    const { store } = openMultiStore(open, [switchable('a'), switchable('b')]);
    expect(await rejection(store.drill({ bytes: -1 }))).toBe(
      'Invalid option "bytes": must be an integer from 0 to 16777216 (16 MiB), got -1',
    );
    expect(await rejection(store.drill({ timeoutMs: 0 }))).toBe(
      'Invalid option "timeoutMs": must be an integer from 1 to 3600000, got 0',
    );
    expect(await rejection(store.drill({ prefix: 5 } as never))).toContain(
      '"prefix": must be a string, got 5',
    );
    expect(await rejection(store.drill({ byte: 5 } as never))).toContain(
      '"byte": is not a known option (known: prefix, bytes, timeoutMs, signal)',
    );
    expect(await rejection(store.repair({ targets: ['a', 'c'] }))).toBe(
      `Invalid option "targets[1]": must be one of 'a', 'b', got "c"`,
    );
    expect(await rejection(store.repair({ targets: 'a' as never }))).toBe(
      'Invalid option "targets": must be an array of target names, got "a"',
    );
  });
});
