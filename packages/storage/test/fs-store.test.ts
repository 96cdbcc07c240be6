import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidOptionError } from '@failover/core';
import {
  type BlobStore,
  createFileSystemStore,
  getText,
  InvalidArgumentError,
  InvalidKeyError,
  isPrefixEntry,
  type ListOptions,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
} from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let parent: string;
let root: string;
let store: BlobStore;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'failover-fs-'));
  root = join(parent, 'root');
  store = createFileSystemStore({ root, name: 'fs-test' });
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** Every file and directory under `dir`, as paths relative to it. */
async function tree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}

async function names(options: ListOptions = {}, s: BlobStore = store): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of s.list(options)) out.push(isPrefixEntry(entry) ? `${entry.prefix}*` : entry.key);
  return out;
}

function failingStream(goodChunks: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < goodChunks) this.push(Buffer.alloc(1024, 1));
      else this.destroy(Object.assign(new Error('source broke'), { code: 'ESOURCE' }));
    },
  });
}

describe('createFileSystemStore options', () => {
  it('rejects a missing or empty root and an empty name, naming the option', () => {
    for (const bad of [{ root: '' }, { root: '   ' }, {} as { root: string }]) {
      expect(() => createFileSystemStore(bad)).toThrow(InvalidOptionError);
      try {
        createFileSystemStore(bad);
      } catch (err) {
        expect((err as InvalidOptionError).option).toBe('root');
      }
    }
    expect(() => createFileSystemStore({ root, name: '' })).toThrow(/name/);
  });

  it('names itself after its root by default, and an absent root is an empty store', async () => {
    const s = createFileSystemStore({ root: join(parent, 'not-yet') });
    expect(s.name).toBe(`fs:${join(parent, 'not-yet')}`);
    expect(await names({}, s)).toEqual([]);
    expect(await s.head('x')).toBeNull();
    await s.delete('x');
    expect(await tree(parent)).toEqual([]);
  });
});

describe('keys never escape the root', () => {
  const crafted = [
    '..%2Fescape',
    '%2e%2e/escape',
    '..\\..\\escape',
    'a\\..\\..\\escape',
    '/etc/passwd',
    '//double-leading',
    'C:\\Windows\\system32',
    '~/home',
    '...',
    '.hidden',
    '....//..x',
    'a/.tmp-0123456789abcdef',
    '.tmp-0123456789abcdef',
    'o~x',
    'd~x/o~y',
    `ho~${'a'.repeat(64)}`,
    '%',
    '%%41',
    'CON',
    'nul.txt',
    'trailing.',
    ' spaced ',
    'Upper',
    'upper',
    'a:b*c?d"e<f>g|h',
    'x/',
    'x//y',
  ];

  it('stores crafted keys inside the root, each as itself, and nothing outside', async () => {
    for (const key of crafted) await store.put(key, `value of ${key}`);
    for (const key of crafted) expect(await getText(store, key)).toBe(`value of ${key}`);
    expect(await names()).toEqual(
      [...crafted].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(await readdir(parent)).toEqual(['root']);
    const files = await tree(root);
    for (const file of files) {
      expect(relative(root, join(root, file)).startsWith('..')).toBe(false);
      for (const part of file.split(sep)) expect(part).toMatch(/^(o|d|ho|hd)~[a-z0-9_.%A-F-]*$/);
    }
    // No two names differ only in case: safe on case-insensitive filesystems.
    const lower = files.map((f) => f.toLowerCase());
    expect(new Set(lower).size).toBe(files.length);
    for (const key of crafted) await store.delete(key);
    expect(await tree(root)).toEqual([]);
  });

  it('rejects keys with . or .. segments before touching the disk', async () => {
    for (const key of ['..', '../escape', 'a/../../escape', 'a/./b', '.']) {
      await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    }
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('layout', () => {
  it('keeps an object and a prefix of the same name apart (a/b and a/b/c)', async () => {
    await store.put('a/b', 'object a/b');
    await store.put('a/b/c', 'object a/b/c');
    await store.put('a/b/', 'object a/b/ (empty last segment)');
    expect(await getText(store, 'a/b')).toBe('object a/b');
    expect(await getText(store, 'a/b/c')).toBe('object a/b/c');
    expect(await getText(store, 'a/b/')).toBe('object a/b/ (empty last segment)');
    expect(await names()).toEqual(['a/b', 'a/b/', 'a/b/c']);
    expect(await names({ prefix: 'a/', delimiter: '/' })).toEqual(['a/b', 'a/b/*']);
    expect(await names({ prefix: 'a/b/', delimiter: '/' })).toEqual(['a/b/', 'a/b/c']);
    await store.delete('a/b');
    expect(await store.exists('a/b')).toBe(false);
    expect(await getText(store, 'a/b/c')).toBe('object a/b/c');
    await store.delete('a/b/c');
    await store.delete('a/b/');
    expect(await tree(root)).toEqual([]);
  });

  it('starts each object file with the object bytes', async () => {
    await store.put('docs/readme.txt', 'plain bytes first');
    const raw = await readFile(join(root, 'd~docs', 'o~readme.txt'));
    expect(raw.subarray(0, 17).toString()).toBe('plain bytes first');
  });

  it('hashes segments too long for a file name and still lists them in order', async () => {
    const long = 'L'.repeat(300);
    const emoji = '😀'.repeat(250); // 1000 bytes
    const keys = [`${long}`, `${long}/inside`, `${emoji}`, 'a', `dir/${long}`, 'z'];
    for (const key of keys) await store.put(key, key.slice(0, 10));
    for (const key of keys) expect(await getText(store, key)).toBe(key.slice(0, 10));
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await names()).toEqual(sorted);
    expect(await names({ delimiter: '/' })).toEqual([long, `${long}/*`, 'a', 'dir/*', 'z', emoji]);
    expect(await names({ prefix: `${long}/` })).toEqual([`${long}/inside`]);
    expect(await names({ prefix: 'L'.repeat(10) })).toEqual([long, `${long}/inside`]);
    const parts = (await tree(root)).flatMap((file) => file.split(sep));
    for (const part of parts) expect(part.length).toBeLessThan(256);
    expect(parts.some((p) => p.startsWith('ho~'))).toBe(true);
    expect(parts.some((p) => p.startsWith('hd~'))).toBe(true);
    for (const key of keys) await store.delete(key);
    expect(await tree(root)).toEqual([]);
  });

  it('accepts the longest valid key (1024 UTF-8 bytes in 4-byte characters)', async () => {
    const key = '😀'.repeat(256);
    await store.put(key, 'max');
    expect(await getText(store, key)).toBe('max');
    expect(await names()).toEqual([key]);
  });

  it('ignores foreign files, temporary files and empty directories', async () => {
    await store.put('kept/object', 'x');
    await writeFile(join(root, 'README'), 'not ours');
    await writeFile(join(root, 'd~kept', '.tmp-deadbeefdeadbeef'), 'half written');
    await writeFile(join(root, 'o~NotCanonical'), 'not canonical');
    await mkdir(join(root, 'd~empty', 'd~deeper'), { recursive: true });
    expect(await names()).toEqual(['kept/object']);
    expect(await names({ delimiter: '/' })).toEqual(['kept/*']);
    expect(await store.exists('empty/deeper')).toBe(false);
  });

  it('survives a new store instance on the same root', async () => {
    await store.put('persisted/key', 'still here', { metadata: { a: '1' }, contentType: 'text/plain' });
    const again = createFileSystemStore({ root });
    const head = await again.head('persisted/key');
    expect(head).toMatchObject({
      key: 'persisted/key',
      size: 10,
      contentType: 'text/plain',
      metadata: { a: '1' },
    });
    expect(await getText(again, 'persisted/key')).toBe('still here');
  });

  it('reports a corrupt object file as a StorageError of kind unknown', async () => {
    await store.put('broken', 'x');
    await writeFile(join(root, 'o~broken'), 'no trailer at all');
    const error = await store.get('broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind: 'unknown', key: 'broken', target: 'fs-test' });
  });
});

describe('atomic writes', () => {
  it('leaves no temporary file after puts, overwrites, copies and deletes', async () => {
    await store.put('a/x', 'bytes');
    await store.put('a/x', Readable.from([Buffer.from('stream '), Buffer.from('body')]));
    await store.copy('a/x', 'b/y');
    await store.put('c', 'x', { ifNoneMatch: '*' });
    await store.put('c', 'y', { ifNoneMatch: '*' }).catch(() => {});
    await store.delete('b/y');
    const files = await tree(root);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files).toEqual(['d~a', join('d~a', 'o~x'), 'o~c']);
  });

  it('a stream that fails midway writes nothing and leaves no temporary file or directory', async () => {
    const error = await store.put('new/dir/object', failingStream(5)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind: 'unknown', key: 'new/dir/object' });
    expect((error as Error).cause).toMatchObject({ code: 'ESOURCE' });
    expect(await store.exists('new/dir/object')).toBe(false);
    expect(await tree(root)).toEqual([]);
  });

  it('a failed overwrite keeps the previous version', async () => {
    await store.put('object', 'previous', { metadata: { v: '1' } });
    await expect(store.put('object', failingStream(3), { metadata: { v: '2' } })).rejects.toBeInstanceOf(
      StorageError,
    );
    expect(await getText(store, 'object')).toBe('previous');
    expect((await store.head('object'))?.metadata).toEqual({ v: '1' });
    expect(await tree(root)).toEqual(['o~object']);
  });

  it('an aborted put leaves no temporary file', async () => {
    const controller = new AbortController();
    const stream = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        controller.abort(new Error('stop'));
      },
    });
    await expect(store.put('dir/aborted', stream, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortedError',
    });
    expect(await tree(root)).toEqual([]);
  });

  it('refuses a body whose size differs from the size hint, writing nothing', async () => {
    await expect(store.put('sized', 'four', { size: 5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.put('sized', Readable.from([Buffer.from('abc')]), { size: 2 })).rejects.toMatchObject({
      argument: 'size',
    });
    expect(await store.exists('sized')).toBe(false);
    expect(await tree(root)).toEqual([]);
  });

  it('a reader keeps the version it opened while the object is replaced and deleted', async () => {
    if (process.platform === 'win32') return; // POSIX unlink-while-open semantics
    await store.put('snapshot', Buffer.alloc(256 * 1024, 'a'));
    const { body } = await store.get('snapshot');
    await store.put('snapshot', Buffer.alloc(256 * 1024, 'b'));
    await store.delete('snapshot');
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(256 * 1024);
    expect(all.every((b) => b === 'a'.charCodeAt(0))).toBe(true);
  });
});

describe('ifNoneMatch races', () => {
  it('exactly one of many concurrent create-only puts wins, in one store', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.put('lock', `writer ${i}`, { ifNoneMatch: '*' })),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
    }
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await getText(store, 'lock')).toBe(`writer ${winner}`);
    expect((await tree(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('exactly one wins across store instances sharing the directory (no shared in-process lock)', async () => {
    const stores = Array.from({ length: 8 }, () => createFileSystemStore({ root }));
    const bodies = (i: number) => Readable.from([Buffer.from(`writer `), Buffer.from(String(i))]);
    const results = await Promise.allSettled(
      stores.map((s, i) => s.put('shared/lock', bodies(i), { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await getText(store, 'shared/lock')).toBe(`writer ${winner}`);
  });

  it('exactly one of many concurrent create-only copies wins', async () => {
    await store.put('source', 'copied');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => store.copy('source', 'target', { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('errors', () => {
  it('a missing key is a NotFoundError naming the store, with the filesystem error as cause', async () => {
    const error = await store.get('missing/key').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ kind: 'not_found', key: 'missing/key', target: 'fs-test' });
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('maps filesystem failures to kinds: a root that is a file is unknown, with the cause kept', async () => {
    await writeFile(join(parent, 'file-root'), 'x');
    const s = createFileSystemStore({ root: join(parent, 'file-root') });
    const error = await s.put('x/y', 'z').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).cause).toMatchObject({ code: expect.stringMatching(/^E[A-Z]+$/) });
  });

  it('a precondition failure keeps the store name and key', async () => {
    await store.put('k', 'x');
    const error = await store.put('k', 'y', { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'PreconditionFailedError',
      kind: 'precondition',
      key: 'k',
      target: 'fs-test',
    });
  });
});
