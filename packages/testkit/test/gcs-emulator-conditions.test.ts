// Preconditions, objects.patch / objects.update and the objects.list options over raw HTTP, as the
// JSON API reference describes them ("Request preconditions", objects.get/patch/update/list).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGcsEmulator } from '../src/gcs/emulator.js';
import type { GcsEmulator } from '../src/gcs/types.js';

let emulator: GcsEmulator;
let origin: string;
const B = 'conditions-bucket';
const enc = encodeURIComponent;

beforeAll(async () => {
  emulator = createGcsEmulator({ buckets: [B] });
  ({ origin } = await emulator.start());
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  for (const name of emulator.objectNames(B)) {
    await fetch(`${origin}/storage/v1/b/${B}/o/${enc(name)}`, { method: 'DELETE' });
  }
});

const objectUrl = (name: string, query = ''): string => `${origin}/storage/v1/b/${B}/o/${enc(name)}?${query}`;

function media(name: string, body: string, query = ''): Promise<Response> {
  return fetch(`${origin}/upload/storage/v1/b/${B}/o?uploadType=media&name=${enc(name)}&${query}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/plain' },
  });
}

function sendJson(method: string, url: string, body: unknown): Promise<Response> {
  return fetch(url, { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

describe('preconditions on reads (objects.get): 412 for a failed *Match, 304 for a failed *NotMatch', () => {
  it('answers metadata and media reads as the reference says', async () => {
    const object = await emulator.putObject(B, 'read.txt', 'content');
    const g = object.generation;
    const cases: [string, number][] = [
      [`ifGenerationMatch=${g}`, 200],
      ['ifGenerationMatch=1', 412],
      [`ifGenerationNotMatch=${g}`, 304],
      ['ifGenerationNotMatch=1', 200],
      ['ifMetagenerationMatch=1', 200],
      ['ifMetagenerationMatch=2', 412],
      ['ifMetagenerationNotMatch=1', 304],
      ['ifMetagenerationNotMatch=2', 200],
    ];
    for (const [query, status] of cases) {
      const meta = await fetch(objectUrl('read.txt', query));
      expect(meta.status, query).toBe(status);
      const content = await fetch(objectUrl('read.txt', `alt=media&${query}`));
      expect(content.status, `media ${query}`).toBe(status);
      if (status === 304) expect(await content.text()).toBe('');
      if (status === 412) {
        const body = (await content.json()) as { error: { errors: { reason: string }[] } };
        expect(body.error.errors[0]?.reason).toBe('conditionNotMet');
      }
    }
  });

  it('answers 404 for a missing object whatever the preconditions, and 400 for a malformed one', async () => {
    expect((await fetch(objectUrl('missing', 'ifGenerationMatch=0'))).status).toBe(404);
    await emulator.putObject(B, 'x', 'x');
    expect((await fetch(objectUrl('x', 'ifGenerationMatch=abc'))).status).toBe(400);
    expect((await fetch(objectUrl('x', 'ifMetagenerationNotMatch=-1'))).status).toBe(400);
  });
});

describe('preconditions on writes: always 412', () => {
  it('uploads: ifGenerationMatch=0 means "does not exist", ifGenerationNotMatch=0 "exists"', async () => {
    expect((await media('w', 'one', 'ifGenerationNotMatch=0')).status).toBe(412);
    expect((await media('w', 'one', 'ifGenerationNotMatch=123')).status).toBe(412); // no live object
    expect((await media('w', 'one', 'ifMetagenerationMatch=1')).status).toBe(412);
    const created = await media('w', 'one', 'ifGenerationMatch=0');
    expect(created.status).toBe(200);
    const g = ((await created.json()) as { generation: string }).generation;
    expect((await media('w', 'two', 'ifGenerationMatch=0')).status).toBe(412);
    expect((await media('w', 'two', `ifGenerationNotMatch=${g}`)).status).toBe(412);
    expect((await media('w', 'two', 'ifMetagenerationNotMatch=1')).status).toBe(412);
    expect((await media('w', 'two', 'ifGenerationNotMatch=0')).status).toBe(200);
    expect(emulator.getObject(B, 'w')?.data.toString()).toBe('two');
  });

  it('delete honours the same parameters', async () => {
    const object = await emulator.putObject(B, 'd', 'x');
    expect((await fetch(objectUrl('d', 'ifGenerationMatch=1'), { method: 'DELETE' })).status).toBe(412);
    expect(
      (await fetch(objectUrl('d', `ifGenerationNotMatch=${object.generation}`), { method: 'DELETE' })).status,
    ).toBe(412);
    expect((await fetch(objectUrl('d', 'ifMetagenerationMatch=1'), { method: 'DELETE' })).status).toBe(204);
  });
});

describe('objects.patch and objects.update', () => {
  it('patch merges, bumps the metageneration and honours metageneration preconditions', async () => {
    await emulator.putObject(B, 'p', 'x', { contentType: 'text/plain', metadata: { a: '1', b: '2' } });
    const first = await sendJson('PATCH', objectUrl('p', 'ifMetagenerationMatch=1'), {
      cacheControl: 'no-store',
      metadata: { b: null, c: '3' },
    });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      metageneration: '2',
      contentType: 'text/plain',
      cacheControl: 'no-store',
      metadata: { a: '1', c: '3' },
    });
    // The same precondition again is stale now.
    expect(
      (await sendJson('PATCH', objectUrl('p', 'ifMetagenerationMatch=1'), { contentLanguage: 'en' })).status,
    ).toBe(412);
    expect(
      (await sendJson('PATCH', objectUrl('p', 'ifMetagenerationNotMatch=2'), { contentLanguage: 'en' }))
        .status,
    ).toBe(412);
    expect(
      (await sendJson('PATCH', objectUrl('p', 'ifGenerationMatch=1'), { contentLanguage: 'en' })).status,
    ).toBe(412);
    expect(emulator.getObject(B, 'p')?.resource.contentLanguage).toBeUndefined();
    expect((await sendJson('PATCH', objectUrl('missing'), {})).status).toBe(404);
  });

  it('update replaces every writable field, keeps the content, and honours preconditions', async () => {
    const object = await emulator.putObject(B, 'u', 'kept', {
      contentType: 'text/plain',
      metadata: { a: '1' },
    });
    expect(
      (await sendJson('PUT', objectUrl('u', 'ifGenerationMatch=1'), { contentType: 'x/y' })).status,
    ).toBe(412);
    const res = await sendJson(
      'PUT',
      objectUrl('u', `ifGenerationMatch=${object.generation}&ifMetagenerationMatch=1`),
      {
        contentType: 'application/json',
        contentDisposition: 'inline',
      },
    );
    expect(res.status).toBe(200);
    const updated = (await res.json()) as Record<string, unknown>;
    expect(updated).toMatchObject({
      contentType: 'application/json',
      contentDisposition: 'inline',
      metageneration: '2',
    });
    expect(updated.metadata).toBeUndefined();
    expect(updated.generation).toBe(object.generation);
    expect(emulator.getObject(B, 'u')?.data.toString()).toBe('kept');
  });
});

describe('objects.list options', () => {
  const list = async (query: string): Promise<{ items: string[]; prefixes: string[]; next?: string }> => {
    const res = await fetch(`${origin}/storage/v1/b/${B}/o?${query}`);
    expect(res.status, query).toBe(200);
    const body = (await res.json()) as {
      items?: { name: string }[];
      prefixes?: string[];
      nextPageToken?: string;
    };
    return {
      items: (body.items ?? []).map((i) => i.name),
      prefixes: body.prefixes ?? [],
      ...(body.nextPageToken ? { next: body.nextPageToken } : {}),
    };
  };

  beforeEach(async () => {
    for (const name of ['a.txt', 'b/', 'b/1.txt', 'b/2.log', 'b/c/3.txt', 'c.log', 'd/', 'e.txt']) {
      await emulator.putObject(B, name, name);
    }
  });

  it('startOffset is inclusive, endOffset exclusive, and both combine with prefix', async () => {
    expect((await list('startOffset=b/2.log&endOffset=d/')).items).toEqual(['b/2.log', 'b/c/3.txt', 'c.log']);
    expect((await list('prefix=b/&startOffset=b/1')).items).toEqual(['b/1.txt', 'b/2.log', 'b/c/3.txt']);
    expect((await list('startOffset=e&endOffset=a')).items).toEqual([]);
  });

  it('includeTrailingDelimiter lists an object that ends in the delimiter as an item too', async () => {
    expect(await list('delimiter=/')).toEqual({ items: ['a.txt', 'c.log', 'e.txt'], prefixes: ['b/', 'd/'] });
    expect(await list('delimiter=/&includeTrailingDelimiter=true')).toEqual({
      items: ['a.txt', 'b/', 'c.log', 'd/', 'e.txt'],
      prefixes: ['b/', 'd/'],
    });
    expect(await list('prefix=b/&delimiter=/&includeTrailingDelimiter=true')).toEqual({
      items: ['b/', 'b/1.txt', 'b/2.log'],
      prefixes: ['b/c/'],
    });
  });

  it('matchGlob filters names: *, **, ?, [..], {..}; a malformed glob is a 400', async () => {
    expect((await list('matchGlob=*.txt')).items).toEqual(['a.txt', 'e.txt']);
    expect((await list(`matchGlob=${enc('**/*.txt')}`)).items).toEqual([
      'a.txt',
      'b/1.txt',
      'b/c/3.txt',
      'e.txt',
    ]);
    expect((await list(`matchGlob=${enc('b/?.{txt,log}')}`)).items).toEqual(['b/1.txt', 'b/2.log']);
    expect((await list(`matchGlob=${enc('[a-c].*')}`)).items).toEqual(['a.txt', 'c.log']);
    expect((await fetch(`${origin}/storage/v1/b/${B}/o?matchGlob=${enc('[abc')}`)).status).toBe(400);
  });

  it('versions=true lists the live generation of each object (buckets here never keep older ones)', async () => {
    await emulator.putObject(B, 'a.txt', 'second generation');
    const res = await fetch(`${origin}/storage/v1/b/${B}/o?versions=true&prefix=a`);
    const body = (await res.json()) as { items: { name: string; generation: string; size: string }[] };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      name: 'a.txt',
      generation: emulator.getObject(B, 'a.txt')?.resource.generation,
      size: '17',
    });
  });

  it('pages with maxResults through every option without repeating or losing a name', async () => {
    const query = 'delimiter=/&includeTrailingDelimiter=true&startOffset=a.txt&endOffset=e';
    const whole = await list(query);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await list(`${query}&maxResults=1${token ? `&pageToken=${enc(token)}` : ''}`);
      seen.push(...page.items.map((i) => `i:${i}`), ...page.prefixes.map((p) => `p:${p}`));
      token = page.next;
    } while (token);
    expect(seen.sort()).toEqual(
      [...whole.items.map((i) => `i:${i}`), ...whole.prefixes.map((p) => `p:${p}`)].sort(),
    );
  });
});
