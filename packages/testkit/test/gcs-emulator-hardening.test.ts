// The emulator trusts neither its mirrored directory nor object names from requests: a tampered
// bucket.json or object record is refused when loaded, and names GCS refuses (NUL, CR/LF, "..")
// are refused on every request.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@failover/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGcsEmulator } from '../src/gcs/emulator.js';
import type { GcsEmulator } from '../src/gcs/types.js';
import { failure } from './server-helpers.js';

const sha = (name: string): string => createHash('sha256').update(name, 'utf8').digest('hex');

describe('a mirrored directory is validated when loaded', () => {
  let root: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gcs-hardening-'));
    dir = join(root, 'a', 'b', 'c', 'data');
    // A legitimate directory first: one bucket with one object.
    const first = createGcsEmulator({ directory: dir, buckets: ['good'] });
    await first.start();
    await first.putObject('good', 'kept.txt', 'kept');
    await first.stop();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const bucketJson = (): string => join(dir, 'buckets', 'good', 'bucket.json');
  const objectJson = (name = 'kept.txt'): string =>
    join(dir, 'buckets', 'good', 'objects', `${sha(name)}.json`);

  async function refusal(): Promise<InvalidOptionError> {
    const emulator = createGcsEmulator({ directory: dir });
    const err = await failure(emulator.start());
    expect(emulator.running).toBe(false);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as unknown as InvalidOptionError).option).toBe('directory');
    return err as unknown as InvalidOptionError;
  }

  it('loads the untouched directory', async () => {
    const emulator = createGcsEmulator({ directory: dir });
    await emulator.start();
    expect(emulator.getObject('good', 'kept.txt')?.data.toString()).toBe('kept');
    await emulator.stop();
  });

  it('refuses a bucket.json whose name points outside the directory, and writes nothing there', async () => {
    const record = JSON.parse(await readFile(bucketJson(), 'utf8')) as Record<string, unknown>;
    await writeFile(bucketJson(), JSON.stringify({ ...record, name: '../../..' }));
    const err = await refusal();
    expect(err.message).toContain('buckets/good/bucket.json');
    expect(err.message).toContain('../../..');
    expect(err.kind).toBe('invalid');
    // Nothing appeared above the directory.
    expect(await readdir(join(root, 'a', 'b'))).toEqual(['c']);
    expect(await readdir(join(root, 'a', 'b', 'c'))).toEqual(['data']);
  });

  it('refuses a bucket.json naming another valid bucket, or none, or garbage', async () => {
    const record = JSON.parse(await readFile(bucketJson(), 'utf8')) as Record<string, unknown>;
    for (const content of [
      JSON.stringify({ ...record, name: 'other' }),
      JSON.stringify({ ...record, name: 'Bad_Name' }),
      JSON.stringify({ ...record, name: undefined }),
      JSON.stringify([record]),
      '{ not json',
    ]) {
      await writeFile(bucketJson(), content);
      expect((await refusal()).message, content).toContain('bucket.json');
    }
  });

  it('refuses object records with a NUL or CR in the name, another bucket, a moved file or bad fields', async () => {
    const record = JSON.parse(await readFile(objectJson(), 'utf8')) as Record<string, unknown>;
    const cases: [string, Record<string, unknown>, string][] = [
      ['nul', { ...record, name: 'a\u0000b' }, 'NUL'],
      ['newline', { ...record, name: 'a\nb' }, 'line feed'],
      ['dots', { ...record, name: '..' }, '".."'],
      ['bucket', { ...record, bucket: '../../..' }, 'belongs to bucket'],
      ['renamed', { ...record, name: 'other.txt' }, 'hash of its name'],
      ['generation', { ...record, generation: -1 }, 'generation'],
      ['metadata', { ...record, metadata: { k: 1 } }, 'metadata'],
    ];
    for (const [label, value, words] of cases) {
      await writeFile(objectJson(), JSON.stringify(value));
      const err = await refusal();
      expect(err.message, label).toContain(`objects/${sha('kept.txt')}.json`);
      expect(err.message, label).toContain(words);
    }
  });

  it('refuses an object whose content file is missing, and symbolic links', async () => {
    await rm(join(dir, 'buckets', 'good', 'objects', `${sha('kept.txt')}.bin`));
    expect((await refusal()).message).toContain('.bin is missing');
    await rm(join(dir, 'buckets', 'good', 'objects'), { recursive: true });
    await mkdir(join(dir, 'buckets', 'good', 'objects'));
    const outside = join(root, 'outside.json');
    await writeFile(outside, '{}');
    await symlink(outside, objectJson());
    expect((await refusal()).message).toContain('symbolic link');
    await rm(objectJson());
    await symlink(join(root, 'a'), join(dir, 'buckets', 'linked'));
    expect((await refusal()).message).toContain('buckets/linked is a symbolic link');
  });
});

describe('object names GCS refuses are refused on every request', () => {
  let emulator: GcsEmulator;
  let origin: string;
  const B = 'names-bucket';
  const enc = encodeURIComponent;
  const BAD = ['a\u0000b', '\u0000', 'line\rbreak', '..'];

  beforeAll(async () => {
    emulator = createGcsEmulator({ buckets: [B] });
    ({ origin } = await emulator.start());
    await emulator.putObject(B, 'ok', 'ok');
  });

  afterAll(async () => {
    await emulator.stop();
  });

  async function expect400(res: Response, label: string): Promise<void> {
    expect(res.status, label).toBe(400);
    const body = (await res.json()) as { error: { errors: { reason: string }[] } };
    expect(body.error.errors[0]?.reason, label).toBe('invalid');
  }

  it('uploads: media, multipart and resumable', async () => {
    for (const name of BAD) {
      const label = JSON.stringify(name);
      await expect400(
        await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=media&name=${enc(name)}`, {
          method: 'POST',
          body: 'x',
        }),
        `media ${label}`,
      );
      const boundary = 'bnd';
      await expect400(
        await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=multipart`, {
          method: 'POST',
          headers: { 'Content-Type': `multipart/related; boundary=${boundary}` },
          body:
            `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ name })}\r\n` +
            `--${boundary}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--`,
        }),
        `multipart ${label}`,
      );
      await expect400(
        await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=resumable`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ name }),
        }),
        `resumable ${label}`,
      );
    }
    expect(emulator.objectNames(B)).toEqual(['ok']);
  });

  it('reads, updates, deletes, copies and composes', async () => {
    // URL parsing (fetch's, any client's) resolves a ".." segment before sending: not in paths.
    for (const name of BAD.filter((n) => n !== '..')) {
      const label = JSON.stringify(name);
      const url = `${origin}/storage/v1/b/${B}/o/${enc(name)}`;
      await expect400(await fetch(url), `get ${label}`);
      await expect400(await fetch(`${url}?alt=media`), `download ${label}`);
      await expect400(await fetch(url, { method: 'PATCH', body: '{}' }), `patch ${label}`);
      await expect400(await fetch(url, { method: 'DELETE' }), `delete ${label}`);
      await expect400(
        await fetch(`${origin}/storage/v1/b/${B}/o/ok/rewriteTo/b/${B}/o/${enc(name)}`, { method: 'POST' }),
        `rewrite to ${label}`,
      );
      await expect400(await fetch(`${url}/copyTo/b/${B}/o/copy`, { method: 'POST' }), `copy from ${label}`);
      await expect400(
        await fetch(`${origin}/storage/v1/b/${B}/o/ok/moveTo/o/${enc(name)}`, { method: 'POST' }),
        `move to ${label}`,
      );
      await expect400(
        await fetch(`${origin}/storage/v1/b/${B}/o/composed/compose`, {
          method: 'POST',
          body: JSON.stringify({ sourceObjects: [{ name }] }),
        }),
        `compose from ${label}`,
      );
      await expect400(
        await fetch(`${url}/compose`, {
          method: 'POST',
          body: JSON.stringify({ sourceObjects: [{ name: 'ok' }] }),
        }),
        `compose to ${label}`,
      );
    }
    expect(emulator.objectNames(B)).toEqual(['ok']);
  });

  it('the putObject helper throws InvalidOptionError for them', async () => {
    for (const name of BAD) {
      const err = await failure(emulator.putObject(B, name, 'x'));
      expect(err).toBeInstanceOf(InvalidOptionError);
    }
  });
});
