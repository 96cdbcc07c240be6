import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type BlobStore,
  createFileSystemStore,
  isPrefixEntry,
  type ListEntry,
  StorageError,
} from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirName, locate } from '../src/fs/layout.js';

// Symlinks planted inside a filesystem store's root must never make it read, write, list or
// delete anything outside the root.
let base: string;
let root: string;
let outside: string;
let store: BlobStore;
let victim: BlobStore;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'failover-fs-symlinks-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  store = createFileSystemStore({ root, name: 'fs' });
  // Another store's tree outside the root: real object files a link can point at.
  victim = createFileSystemStore({ root: outside, name: 'victim' });
  await victim.put('secret', 'outside secret');
  await victim.put('x/f', 'outside x/f');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refused(call: () => Promise<unknown>): Promise<void> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call succeeded through a symlink').toBeInstanceOf(StorageError);
  expect(err).toMatchObject({ kind: 'invalid', target: 'fs' });
  expect((err as Error).message).toMatch(/symbolic link/);
  expect((err as Error).message).not.toContain(base);
}

async function drain(iterable: AsyncIterable<ListEntry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of iterable) keys.push(isPrefixEntry(e) ? e.prefix : e.key);
  return keys;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('filesystem store: symlinks planted inside the root', () => {
  it('an object file that is a symlink to a file outside: get, head, exists, delete, copy and put refuse it', async () => {
    const link = locate(root, 'leak').file;
    await symlink(locate(outside, 'secret').file, link);
    await store.put('ok', 'inside');
    await refused(() => store.get('leak'));
    await refused(() => store.head('leak'));
    await refused(() => store.exists('leak'));
    await refused(() => store.copy('leak', 'copied'));
    await refused(() => store.put('leak', 'overwrite'));
    await refused(() => store.copy('ok', 'leak'));
    await refused(() => store.delete('leak'));
    expect(await store.head('copied')).toBeNull();
    // The file outside is untouched and still there.
    expect(await readFile(locate(outside, 'secret').file, 'utf8')).toContain('outside secret');
    expect(await drain(store.list())).toEqual(['ok']);
  });

  it('a directory that is a symlink to a directory outside: put never writes outside', async () => {
    await symlink(outside, join(root, dirName('evil')));
    const before = await filesUnder(outside);
    await refused(() => store.put('evil/planted', 'attacker data'));
    await refused(() => store.put('evil/deeper/planted', 'attacker data'));
    await store.put('src', 'inside');
    await refused(() => store.copy('src', 'evil/planted'));
    expect(await filesUnder(outside)).toEqual(before);
  });

  it('a directory symlink to another tree: get, head, delete and copy refuse, list does not follow it', async () => {
    await symlink(dirname(locate(outside, 'x/f').file), join(root, dirName('x')));
    await refused(() => store.get('x/f'));
    await refused(() => store.head('x/f'));
    await refused(() => store.exists('x/f'));
    await refused(() => store.copy('x/f', 'y'));
    await refused(() => store.delete('x/f'));
    expect((await stat(locate(outside, 'x/f').file)).isFile()).toBe(true);
    expect(await drain(store.list({ prefix: 'x/' }))).toEqual([]);
    expect(await drain(store.list())).toEqual([]);
    expect(await drain(store.list({ delimiter: '/' }))).toEqual([]);
  });

  it('a root that is itself a symlink (the user chose it) still works', async () => {
    const linkedRoot = join(base, 'linked-root');
    await symlink(root, linkedRoot);
    const viaLink = createFileSystemStore({ root: linkedRoot });
    await viaLink.put('a/b', 'fine');
    expect((await viaLink.head('a/b'))?.size).toBe(4);
    expect(await drain(viaLink.list())).toEqual(['a/b']);
    await viaLink.delete('a/b');
  });
});
