import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@failover/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../src/gcs/crc32c.js';
import { createGcsEmulator } from '../src/gcs/emulator.js';
import type { GcsEmulator } from '../src/gcs/types.js';

let emulator: GcsEmulator;
let origin: string;
const B = 'raw-bucket';

beforeAll(async () => {
  emulator = createGcsEmulator({ buckets: [B] });
  ({ origin } = await emulator.start());
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  for (const name of emulator.objectNames(B)) {
    await fetch(`${origin}/storage/v1/b/${B}/o/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
});

const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('base64');

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function multipartBody(
  metadata: Record<string, unknown>,
  data: string,
  boundary = 'xyz-boundary',
): RequestInit {
  const body =
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n` +
    `--${boundary}\r\nContent-Type: text/plain\r\n\r\n${data}\r\n--${boundary}--`;
  return { method: 'POST', body, headers: { 'Content-Type': `multipart/related; boundary=${boundary}` } };
}

async function startUpload(name: string, headers: Record<string, string> = {}, query = ''): Promise<string> {
  const res = await fetch(
    `${origin}/upload/storage/v1/b/${B}/o?uploadType=resumable&name=${encodeURIComponent(name)}${query}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
    },
  );
  expect(res.status).toBe(200);
  const location = res.headers.get('location');
  expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/storage\/v1\/b\/raw-bucket\/o\?.*upload_id=/);
  return location!;
}

function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** 256 KiB: every chunk of a resumable upload but the last holds at least this. */
const Q = 256 * 1024;

/** `n` bytes of a repeatable pattern. */
function patterned(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function put(
  location: string,
  range: string | undefined,
  body: string | Uint8Array = '',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(location, {
    method: 'PUT',
    body,
    headers: range === undefined ? headers : { 'Content-Range': range, ...headers },
  });
}

describe('GCS emulator over raw HTTP: errors', () => {
  it('answers errors in the JSON API shape', async () => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/missing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message: `No such object: ${B}/missing`,
        errors: [{ domain: 'global', reason: 'notFound', message: `No such object: ${B}/missing` }],
      },
    });
  });

  it('answers 404 for unknown routes, 405 for wrong methods, 400 for bad encoding and bad JSON', async () => {
    expect((await fetch(`${origin}/nothing/here`)).status).toBe(404);
    expect((await fetch(`${origin}/storage/v1/b/${B}`, { method: 'PUT' })).status).toBe(405);
    const badEncoding = await fetch(`${origin}/storage/v1/b/${B}/o/%E0%A4%A`);
    expect(badEncoding.status).toBe(400);
    const badJson = await fetch(`${origin}/storage/v1/b?project=p`, { method: 'POST', body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(((await json(badJson)).error as { errors: { reason: string }[] }).errors[0]?.reason).toBe(
      'parseError',
    );
  });

  it('requires the project parameter and a bucket name to create buckets', async () => {
    const noProject = await fetch(`${origin}/storage/v1/b`, { method: 'POST', body: '{"name":"abc"}' });
    expect(noProject.status).toBe(400);
    expect(((await json(noProject)).error as { errors: { reason: string }[] }).errors[0]?.reason).toBe(
      'required',
    );
    const noName = await fetch(`${origin}/storage/v1/b?project=p`, { method: 'POST', body: '{}' });
    expect(noName.status).toBe(400);
    for (const bad of ['ab', 'UPPER', '-dash', 'has google', '192.168.1.1', 'goog-x']) {
      const res = await fetch(`${origin}/storage/v1/b?project=p`, {
        method: 'POST',
        body: JSON.stringify({ name: bad }),
      });
      expect(res.status, bad).toBe(400);
    }
  });

  it('rejects invalid object names', async () => {
    for (const name of ['.', '..', 'line\nbreak', 'x'.repeat(1025), '.well-known/acme-challenge/x']) {
      const res = await fetch(
        `${origin}/upload/storage/v1/b/${B}/o?uploadType=media&name=${encodeURIComponent(name)}`,
        {
          method: 'POST',
          body: 'x',
        },
      );
      expect(res.status, JSON.stringify(name)).toBe(400);
    }
  });

  it('refuses objects above maxObjectSize with 413', async () => {
    const small = createGcsEmulator({ buckets: ['tiny'], maxObjectSize: 10 });
    const { origin: o } = await small.start();
    try {
      const res = await fetch(`${o}/upload/storage/v1/b/tiny/o?uploadType=media&name=big`, {
        method: 'POST',
        body: 'x'.repeat(11),
      });
      expect(res.status).toBe(413);
      const ok = await fetch(`${o}/upload/storage/v1/b/tiny/o?uploadType=media&name=ok`, {
        method: 'POST',
        body: 'x'.repeat(10),
      });
      expect(ok.status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe('GCS emulator over raw HTTP: uploads', () => {
  it('takes media uploads with the Content-Type header and both base paths', async () => {
    const res = await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=media&name=m.txt`, {
      method: 'POST',
      body: 'media!',
      headers: { 'Content-Type': 'text/markdown' },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      name: 'm.txt',
      contentType: 'text/markdown',
      size: '6',
      md5Hash: md5('media!'),
    });
    // Without /storage/v1 (STORAGE_EMULATOR_HOST form) the JSON API answers the same.
    const meta = await json(await fetch(`${origin}/b/${B}/o/m.txt`));
    expect(meta.name).toBe('m.txt');
  });

  it('checks checksums sent in multipart metadata and in X-Goog-Hash', async () => {
    const good = await fetch(
      `${origin}/upload/storage/v1/b/${B}/o?uploadType=multipart`,
      multipartBody(
        { name: 'mp.txt', md5Hash: md5('data'), crc32c: crc32cBase64(Buffer.from('data')) },
        'data',
      ),
    );
    expect(good.status).toBe(200);
    expect(await json(good)).toMatchObject({ name: 'mp.txt', contentType: 'text/plain', size: '4' });
    const badCrc = await fetch(
      `${origin}/upload/storage/v1/b/${B}/o?uploadType=multipart`,
      multipartBody({ name: 'mp2.txt', crc32c: 'AAAAAA==' }, 'data'),
    );
    expect(badCrc.status).toBe(400);
    expect(JSON.stringify(await json(badCrc))).toContain('CRC32C');
    const badHeader = await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=media&name=h`, {
      method: 'POST',
      body: 'data',
      headers: { 'X-Goog-Hash': `crc32c=${crc32cBase64(Buffer.from('data'))},md5=${md5('other')}` },
    });
    expect(badHeader.status).toBe(400);
    expect(emulator.objectNames(B)).toEqual(['mp.txt']);
  });

  it('keeps multipart content that contains the boundary text', async () => {
    const tricky = 'before\r\n--xyz-boundary\r\nafter';
    const res = await fetch(
      `${origin}/upload/storage/v1/b/${B}/o?uploadType=multipart&name=tricky`,
      multipartBody({}, tricky),
    );
    expect(res.status).toBe(200);
    expect(emulator.getObject(B, 'tricky')?.data.toString()).toBe(tricky);
  });

  it('runs the resumable protocol: status queries, 308 with Range, overlap, finish, replay', async () => {
    const data = patterned(2 * Q + 5);
    const location = await startUpload('resumed.txt', { 'X-Upload-Content-Type': 'text/plain' });
    const fresh = await put(location, 'bytes */*');
    expect(fresh.status).toBe(308);
    expect(fresh.headers.get('range')).toBeNull();

    const first = await put(location, `bytes 0-${Q - 1}/*`, data.subarray(0, Q));
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${Q - 1}`);
    const status = await put(location, 'bytes */*');
    expect(status.headers.get('range')).toBe(`bytes=0-${Q - 1}`);

    // A retry that resends bytes already held: only the new ones count.
    const overlap = await put(location, `bytes ${Q - 3}-${2 * Q - 1}/*`, data.subarray(Q - 3, 2 * Q));
    expect(overlap.status).toBe(308);
    expect(overlap.headers.get('range')).toBe(`bytes=0-${2 * Q - 1}`);

    const gap = await put(location, `bytes ${2 * Q + 2}-${3 * Q + 1}/*`, patterned(Q));
    expect(gap.status).toBe(400);

    const end = `bytes ${2 * Q}-${2 * Q + 4}/${2 * Q + 5}`;
    const mismatch = await put(location, end, data.subarray(2 * Q, 2 * Q + 3));
    expect(mismatch.status).toBe(400);

    const last = await put(location, end, data.subarray(2 * Q));
    expect(last.status).toBe(200);
    const object = await json(last);
    expect(object).toMatchObject({
      name: 'resumed.txt',
      size: String(2 * Q + 5),
      contentType: 'text/plain',
      md5Hash: md5(data),
    });

    const replay = await put(location, `bytes */${2 * Q + 5}`);
    expect(replay.status).toBe(200);
    expect((await json(replay)).generation).toBe(object.generation);
    expect(emulator.getObject(B, 'resumed.txt')?.data.equals(data)).toBe(true);
  });

  it('finishes an upload on a status request that states the total, and on a PUT without Content-Range', async () => {
    const location = await startUpload('by-total');
    const chunk = patterned(Q, 1);
    expect((await put(location, `bytes 0-${Q - 1}/*`, chunk)).status).toBe(308);
    const done = await put(location, `bytes */${Q}`);
    expect(done.status).toBe(200);
    expect(emulator.getObject(B, 'by-total')?.data.equals(chunk)).toBe(true);

    const whole = await startUpload('whole');
    expect((await put(whole, undefined, 'all at once')).status).toBe(200);
    expect(emulator.getObject(B, 'whole')?.data.toString()).toBe('all at once');
  });

  it('checks X-Upload-Content-Length and X-Goog-Hash when a resumable upload finishes', async () => {
    const declared = await startUpload('declared', { 'X-Upload-Content-Length': '5' });
    expect((await put(declared, 'bytes 0-*/*', 'four')).status).toBe(400);
    expect((await put(declared, 'bytes */*')).status).toBe(404);

    const hashed = await startUpload('hashed');
    const res = await put(hashed, 'bytes 0-3/4', 'data', { 'X-Goog-Hash': 'crc32c=AAAAAA==' });
    expect(res.status).toBe(400);
    expect(emulator.getObject(B, 'hashed')).toBeUndefined();
  });

  it('checks preconditions when a resumable upload opens and again when it finishes', async () => {
    const location = await startUpload('raced', {}, '&ifGenerationMatch=0');
    await emulator.putObject(B, 'raced', 'someone else');
    const res = await put(location, 'bytes 0-*/*', 'mine');
    expect(res.status).toBe(412);
    expect(emulator.getObject(B, 'raced')?.data.toString()).toBe('someone else');
    const early = await fetch(
      `${origin}/upload/storage/v1/b/${B}/o?uploadType=resumable&name=raced&ifGenerationMatch=0`,
      {
        method: 'POST',
      },
    );
    expect(early.status).toBe(412);
  });

  it('builds Location from the Host the client used, or X-Forwarded-Host', async () => {
    const viaHost = await rawRequest('POST', `/upload/storage/v1/b/${B}/o?uploadType=resumable&name=h`, {
      Host: 'gcs.failover.test:9999',
    });
    expect(viaHost.status).toBe(200);
    expect(viaHost.headers.location).toMatch(/^http:\/\/gcs\.failover\.test:9999\/upload\/storage\/v1\//);
    const forwarded = await rawRequest('POST', `/upload/storage/v1/b/${B}/o?uploadType=resumable&name=h`, {
      'X-Forwarded-Host': 'proxy.example:8443',
      'X-Forwarded-Proto': 'https',
    });
    expect(forwarded.headers.location).toMatch(/^https:\/\/proxy\.example:8443\//);
  });

  it('keeps nothing of a PUT the client abandons midway, and keeps serving', async () => {
    const location = await startUpload('abandoned');
    const head = patterned(Q, 2);
    expect((await put(location, `bytes 0-${Q - 1}/*`, head)).status).toBe(308);
    const url = new URL(location);
    await new Promise<void>((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'PUT', path: `${url.pathname}${url.search}` },
        () => resolve(),
      );
      req.setHeader('Content-Range', `bytes ${Q}-${Q + 9}/${Q + 10}`);
      req.setHeader('Content-Length', '10');
      req.on('error', () => resolve());
      req.write('defg', () => setTimeout(() => req.destroy(), 50));
    });
    const status = await put(location, 'bytes */*');
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBe(`bytes=0-${Q - 1}`);
    expect((await put(location, `bytes ${Q}-${Q + 9}/${Q + 10}`, 'defghijklm')).status).toBe(200);
    expect(
      emulator.getObject(B, 'abandoned')?.data.equals(Buffer.concat([head, Buffer.from('defghijklm')])),
    ).toBe(true);
  });

  it('cancels an upload with DELETE (499), after which the session is gone', async () => {
    const location = await startUpload('cancelled');
    expect((await put(location, `bytes 0-${Q - 1}/*`, patterned(Q))).status).toBe(308);
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(499);
    expect((await put(location, 'bytes */*')).status).toBe(404);
    expect(emulator.getObject(B, 'cancelled')).toBeUndefined();
  });

  it('answers 400 for an unknown or missing uploadType and a malformed Content-Range', async () => {
    expect((await fetch(`${origin}/upload/storage/v1/b/${B}/o?name=x`, { method: 'POST' })).status).toBe(400);
    expect(
      (await fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=chunky&name=x`, { method: 'POST' }))
        .status,
    ).toBe(400);
    const location = await startUpload('ranges');
    expect((await put(location, 'bytes=0-1/2', 'ab')).status).toBe(400);
  });
});

describe('GCS emulator over raw HTTP: downloads and metadata', () => {
  beforeEach(async () => {
    await emulator.putObject(B, 'digits', '0123456789', { contentType: 'text/plain', metadata: { a: '1' } });
  });

  it('sends the headers the client validates', async () => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/digits?alt=media`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0123456789');
    const generation = emulator.getObject(B, 'digits')?.resource.generation;
    expect(res.headers.get('x-goog-hash')).toBe(
      `crc32c=${crc32cBase64(Buffer.from('0123456789'))},md5=${md5('0123456789')}`,
    );
    expect(res.headers.get('x-goog-stored-content-encoding')).toBe('identity');
    expect(res.headers.get('x-goog-stored-content-length')).toBe('10');
    expect(res.headers.get('x-goog-generation')).toBe(generation);
    expect(res.headers.get('x-goog-metageneration')).toBe('1');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-length')).toBe('10');
  });

  it.each([
    ['bytes=2-4', 206, '234', 'bytes 2-4/10'],
    ['bytes=7-', 206, '789', 'bytes 7-9/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=8-100', 206, '89', 'bytes 8-9/10'],
    ['bytes=-100', 206, '0123456789', 'bytes 0-9/10'],
    ['bytes=10-', 416, undefined, 'bytes */10'],
    ['bytes=5-2', 200, '0123456789', null],
    ['bytes=0-1,4-5', 200, '0123456789', null],
    ['items=0-1', 200, '0123456789', null],
  ])('answers Range %s with %i', async (range, status, body, contentRange) => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/digits?alt=media`, { headers: { Range: range } });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-range')).toBe(contentRange);
    if (body !== undefined) expect(await res.text()).toBe(body);
    else expect((await json(res)).error).toMatchObject({ code: 416 });
  });

  it('serves the mediaLink path and honours generation and conditional parameters', async () => {
    const { resource } = emulator.getObject(B, 'digits')!;
    const media = await fetch(resource.mediaLink);
    expect(await media.text()).toBe('0123456789');
    const gen = resource.generation;
    expect((await fetch(`${origin}/storage/v1/b/${B}/o/digits?generation=${gen}`)).status).toBe(200);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o/digits?generation=1`)).status).toBe(404);
    expect(
      (await fetch(`${origin}/storage/v1/b/${B}/o/digits?alt=media&ifGenerationNotMatch=${gen}`)).status,
    ).toBe(304);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o/digits?ifGenerationMatch=${gen}`)).status).toBe(200);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o/digits?ifMetagenerationMatch=2`)).status).toBe(412);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o/digits?ifGenerationMatch=abc`)).status).toBe(400);
    const del = await fetch(`${origin}/storage/v1/b/${B}/o/digits?ifGenerationMatch=1`, { method: 'DELETE' });
    expect(del.status).toBe(412);
  });

  it('returns partial responses for the fields parameter', async () => {
    const one = await json(await fetch(`${origin}/storage/v1/b/${B}/o/digits?fields=name,size,metadata/a`));
    expect(one).toEqual({ name: 'digits', size: '10', metadata: { a: '1' } });
    const list = await json(await fetch(`${origin}/storage/v1/b/${B}/o?fields=items(name),nextPageToken`));
    expect(list).toEqual({ items: [{ name: 'digits' }] });
    expect((await fetch(`${origin}/storage/v1/b/${B}/o?fields=items(name`)).status).toBe(400);
  });

  it('replaces metadata on PUT and bumps the metageneration', async () => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/digits`, {
      method: 'PUT',
      body: JSON.stringify({ metadata: { b: '2' }, cacheControl: 'no-cache' }),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      metadata: { b: '2' },
      cacheControl: 'no-cache',
      contentType: 'application/octet-stream',
      metageneration: '2',
    });
    const media = await fetch(`${origin}/storage/v1/b/${B}/o/digits?alt=media`);
    expect(media.headers.get('cache-control')).toBe('no-cache');
    expect(media.headers.get('x-goog-metageneration')).toBe('2');
  });

  it('rejects metadata of the wrong type', async () => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/digits`, {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { nested: { no: true } } }),
    });
    expect(res.status).toBe(400);
  });

  it('composes through the JSON API with source preconditions', async () => {
    await emulator.putObject(B, 'tail', '!');
    const gen = emulator.getObject(B, 'digits')!.resource.generation;
    const ok = await fetch(`${origin}/storage/v1/b/${B}/o/joined/compose`, {
      method: 'POST',
      body: JSON.stringify({
        destination: { contentType: 'text/plain' },
        sourceObjects: [
          { name: 'digits', objectPreconditions: { ifGenerationMatch: gen } },
          { name: 'tail' },
        ],
      }),
    });
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ componentCount: 2, size: '11', contentType: 'text/plain' });
    const stale = await fetch(`${origin}/storage/v1/b/${B}/o/joined2/compose`, {
      method: 'POST',
      body: JSON.stringify({
        sourceObjects: [{ name: 'digits', objectPreconditions: { ifGenerationMatch: 1 } }],
      }),
    });
    expect(stale.status).toBe(412);
  });

  it('copies with copyTo', async () => {
    const res = await fetch(
      `${origin}/storage/v1/b/${B}/o/digits/copyTo/b/${B}/o/${encodeURIComponent('copy/of digits')}`,
      {
        method: 'POST',
      },
    );
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      kind: 'storage#object',
      name: 'copy/of digits',
      metadata: { a: '1' },
    });
  });
});

describe('GCS emulator over raw HTTP: listing edge cases', () => {
  async function page(query: string): Promise<{ items: string[]; prefixes: string[]; next?: string }> {
    const body = await json(await fetch(`${origin}/storage/v1/b/${B}/o?${query}`));
    return {
      items: ((body.items as { name: string }[] | undefined) ?? []).map((i) => i.name),
      prefixes: (body.prefixes as string[] | undefined) ?? [],
      ...(typeof body.nextPageToken === 'string' ? { next: body.nextPageToken } : {}),
    };
  }

  it('returns a trailing-delimiter object and its prefix once each, even split across pages', async () => {
    for (const name of ['a/', 'a/x', 'b']) await emulator.putObject(B, name, name);
    const one = await page('delimiter=/&includeTrailingDelimiter=true&maxResults=1');
    expect(one).toMatchObject({ items: ['a/'], prefixes: [] });
    const two = await page(`delimiter=/&includeTrailingDelimiter=true&maxResults=1&pageToken=${one.next}`);
    expect(two).toMatchObject({ items: [], prefixes: ['a/'] });
    const three = await page(`delimiter=/&includeTrailingDelimiter=true&maxResults=1&pageToken=${two.next}`);
    expect(three).toEqual({ items: ['b'], prefixes: [] });
    const all = await page('delimiter=/&includeTrailingDelimiter=true');
    expect(all).toEqual({ items: ['a/', 'b'], prefixes: ['a/'] });
  });

  it('omits items and prefixes when empty, and rejects bad paging parameters', async () => {
    expect(await json(await fetch(`${origin}/storage/v1/b/${B}/o`))).toEqual({ kind: 'storage#objects' });
    expect((await fetch(`${origin}/storage/v1/b/${B}/o?maxResults=0`)).status).toBe(400);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o?pageToken=garbage`)).status).toBe(400);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o?matchGlob=[ab`)).status).toBe(400);
  });

  it('supports multi-character delimiters and glob alternatives', async () => {
    for (const name of ['x--1', 'x--2', 'y', 'file.json', 'file.yaml', 'file.txt'])
      await emulator.putObject(B, name, name);
    expect(await page('delimiter=--')).toEqual({
      items: ['file.json', 'file.txt', 'file.yaml', 'y'],
      prefixes: ['x--'],
    });
    expect((await page('matchGlob=file.{json,yaml}')).items).toEqual(['file.json', 'file.yaml']);
    expect((await page('matchGlob=file.[!t]*')).items).toEqual(['file.json', 'file.yaml']);
  });
});

describe('GCS emulator: options, helpers, persistence, request log', () => {
  it('rejects bad options naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ port: -1 }, 'port'],
      [{ port: 1.5 }, 'port'],
      [{ host: '' }, 'host'],
      [{ directory: '' }, 'directory'],
      [{ buckets: ['ok-bucket', 'NO'] }, 'buckets[1]'],
      [{ maxObjectSize: 0 }, 'maxObjectSize'],
      [{ requestLogLimit: -1 }, 'requestLogLimit'],
      [{ signers: ['pem'] }, 'signers'],
      [{ signers: { 'a@example.com': 'not a key' } }, 'signers.a@example.com'],
      [{ bucket: 'x' }, 'bucket'],
    ];
    for (const [options, option] of cases) {
      let error: unknown;
      try {
        createGcsEmulator(options);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
    }
    expect(() => createGcsEmulator({ buckets: ['NO'] })).toThrow(
      'Invalid option "buckets[0]": must be a valid bucket name (must be 3-63 characters long (up to 222 with dots)), got "NO"',
    );
    expect(() => createGcsEmulator({ bucket: 'x' } as never)).toThrow(
      'Invalid option "bucket": is not a known option (known: host, port, directory, buckets,',
    );
  });

  it('keeps buckets and objects in a directory across emulator instances', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcs-emulator-test-'));
    try {
      const first = createGcsEmulator({ directory: dir, buckets: ['persisted'] });
      const { origin: o } = await first.start();
      await fetch(
        `${o}/upload/storage/v1/b/persisted/o?uploadType=media&name=${encodeURIComponent('dir/ü.txt')}`,
        {
          method: 'POST',
          body: 'kept',
          headers: { 'Content-Type': 'text/plain' },
        },
      );
      await fetch(`${o}/storage/v1/b/persisted/o/${encodeURIComponent('dir/ü.txt')}`, {
        method: 'PATCH',
        body: JSON.stringify({ metadata: { m: 'v' } }),
      });
      await fetch(`${o}/upload/storage/v1/b/persisted/o?uploadType=media&name=gone`, {
        method: 'POST',
        body: 'x',
      });
      await fetch(`${o}/storage/v1/b/persisted/o/gone`, { method: 'DELETE' });
      const before = first.getObject('persisted', 'dir/ü.txt')!.resource;
      await first.stop();

      const second = createGcsEmulator({ directory: dir });
      await second.start();
      try {
        expect(second.bucketNames()).toEqual(['persisted']);
        expect(second.objectNames('persisted')).toEqual(['dir/ü.txt']);
        const after = second.getObject('persisted', 'dir/ü.txt')!;
        expect(after.data.toString()).toBe('kept');
        expect(after.resource).toMatchObject({
          generation: before.generation,
          metageneration: '2',
          metadata: { m: 'v' },
          contentType: 'text/plain',
          crc32c: before.crc32c,
        });
        await second.reset();
        expect(second.bucketNames()).toEqual([]);
      } finally {
        await second.stop();
      }
      const third = createGcsEmulator({ directory: dir });
      await third.start();
      expect(third.bucketNames()).toEqual([]);
      await third.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records requests with operation, bucket, object and status, redacting secrets', async () => {
    emulator.clearRequests();
    await fetch(`${origin}/storage/v1/b/${B}/o/${encodeURIComponent('a/b')}?alt=media&access_token=SECRET`);
    const [record] = emulator.requests;
    expect(record).toMatchObject({
      method: 'GET',
      path: `/storage/v1/b/${B}/o/a%2Fb`,
      operation: 'objects.download',
      bucket: B,
      object: 'a/b',
      status: 404,
    });
    expect(JSON.stringify(record)).not.toContain('SECRET');
    const limited = createGcsEmulator({ requestLogLimit: 2 });
    const { origin: o } = await limited.start();
    try {
      for (let i = 0; i < 3; i++) await fetch(`${o}/storage/v1/b/b-${i}x`);
      expect(limited.requests.map((r) => r.path)).toEqual(['/storage/v1/b/b-1x', '/storage/v1/b/b-2x']);
    } finally {
      await limited.stop();
    }
  });

  it('throws for helper calls with a bad bucket or name, and for origin before start', async () => {
    const idle = createGcsEmulator();
    expect(() => idle.origin).toThrow(/not been started/);
    await expect(idle.createBucket('Nope')).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(idle.putObject('missing', 'x', 'y')).rejects.toBeInstanceOf(InvalidOptionError);
    await idle.createBucket('offline');
    await idle.putObject('offline', 'x', 'y');
    expect(idle.getObject('offline', 'x')?.data.toString()).toBe('y');
    await idle.stop();
  });
});
