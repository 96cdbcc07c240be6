// objects.rewrite, objects.copy and objects.compose over raw HTTP, as the JSON API reference
// describes them: the rewrite body is an optional object resource (absent, empty, `{}` or `null`
// as a Go client encodes it), and a rewrite can span calls with maxBytesRewrittenPerCall and
// rewriteToken.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { crc32cBase64 } from '../src/gcs/crc32c.js';
import { createGcsEmulator } from '../src/gcs/emulator.js';
import type { GcsEmulator } from '../src/gcs/types.js';

let emulator: GcsEmulator;
let origin: string;
const B = 'rewrite-bucket';
const OTHER = 'rewrite-other';
const MIB = 1024 * 1024;

beforeAll(async () => {
  emulator = createGcsEmulator({ buckets: [B, OTHER] });
  ({ origin } = await emulator.start());
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => {
  vi.useRealTimers();
});

beforeEach(async () => {
  for (const bucket of [B, OTHER]) {
    for (const name of emulator.objectNames(bucket)) {
      await fetch(`${origin}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`, { method: 'DELETE' });
    }
  }
});

function patterned(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  let x = (seed * 2654435761 + 7) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const enc = encodeURIComponent;

/** `POST /storage/v1/b/{b}/o/{o}/rewriteTo/b/{db}/o/{do}`, the body exactly as given. */
function rewrite(
  from: string,
  to: string,
  body: string | undefined,
  query = '',
  toBucket = B,
): Promise<Response> {
  const init: RequestInit = { method: 'POST' };
  if (body !== undefined) {
    init.body = body;
    init.headers = { 'Content-Type': 'application/json' };
  }
  return fetch(
    `${origin}/storage/v1/b/${B}/o/${enc(from)}/rewriteTo/b/${toBucket}/o/${enc(to)}?${query}`,
    init,
  );
}

interface RewriteResponse {
  kind: string;
  done: boolean;
  totalBytesRewritten: string;
  objectSize: string;
  rewriteToken?: string;
  resource?: Record<string, unknown>;
}

async function download(bucket: string, name: string): Promise<Buffer> {
  const res = await fetch(`${origin}/storage/v1/b/${bucket}/o/${enc(name)}?alt=media`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('objects.rewrite: the request body', () => {
  it('copies like a Go client: body `null`, then reads the copy back byte for byte', async () => {
    const data = patterned(5 * MIB + 3, 1);
    await emulator.putObject(B, 'src/go.bin', data, { contentType: 'image/png', metadata: { k: 'v' } });
    const res = await rewrite('src/go.bin', 'dst/go.bin', 'null', 'alt=json&prettyPrint=false', OTHER);
    expect(res.status).toBe(200);
    const body = (await res.json()) as RewriteResponse;
    expect(body).toMatchObject({
      kind: 'storage#rewriteResponse',
      done: true,
      totalBytesRewritten: String(data.length),
      objectSize: String(data.length),
    });
    expect(body.rewriteToken).toBeUndefined();
    expect(body.resource).toMatchObject({
      bucket: OTHER,
      name: 'dst/go.bin',
      contentType: 'image/png',
      metadata: { k: 'v' },
      crc32c: crc32cBase64(data),
    });
    expect((await download(OTHER, 'dst/go.bin')).equals(data)).toBe(true);
  });

  it('accepts an absent, empty, whitespace or `{}` body, and applies fields of a non-empty one', async () => {
    await emulator.putObject(B, 'src', 'content', { contentType: 'text/plain' });
    for (const [i, body] of [undefined, '', '  \n', '{}', ' null '].entries()) {
      const res = await rewrite('src', `copy-${i}`, body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect((await download(B, `copy-${i}`)).toString()).toBe('content');
    }
    const withFields = await rewrite('src', 'typed', JSON.stringify({ contentType: 'text/markdown' }));
    expect(((await withFields.json()) as RewriteResponse).resource?.contentType).toBe('text/markdown');
  });

  it('still refuses a body that is not an object resource', async () => {
    await emulator.putObject(B, 'src', 'content');
    for (const body of ['[]', '"text"', '42', 'true', '{bad json']) {
      const res = await rewrite('src', 'never', body);
      expect(res.status, body).toBe(400);
    }
    expect(emulator.getObject(B, 'never')).toBeUndefined();
  });

  it('copyTo takes a `null` body too', async () => {
    await emulator.putObject(B, 'src', 'copied');
    const res = await fetch(`${origin}/storage/v1/b/${B}/o/src/copyTo/b/${OTHER}/o/dst`, {
      method: 'POST',
      body: 'null',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect((await download(OTHER, 'dst')).toString()).toBe('copied');
  });
});

describe('objects.rewrite: maxBytesRewrittenPerCall and rewriteToken', () => {
  it('spans calls: done false with progress and a token until the last call writes the copy', async () => {
    const data = patterned(3 * MIB + 512 * 1024, 2);
    await emulator.putObject(B, 'big', data);
    const progress: string[] = [];
    let token: string | undefined;
    let last: RewriteResponse | undefined;
    for (let call = 0; call < 10; call++) {
      const query = `maxBytesRewrittenPerCall=${MIB}${token ? `&rewriteToken=${enc(token)}` : ''}`;
      const res = await rewrite('big', 'big-copy', 'null', query, OTHER);
      expect(res.status).toBe(200);
      last = (await res.json()) as RewriteResponse;
      expect(last.objectSize).toBe(String(data.length));
      progress.push(last.totalBytesRewritten);
      if (last.done) break;
      expect(last.rewriteToken).toEqual(expect.any(String));
      expect(last.resource).toBeUndefined();
      // Nothing is visible at the destination until the rewrite is done.
      expect(emulator.getObject(OTHER, 'big-copy')).toBeUndefined();
      token = last.rewriteToken;
    }
    expect(progress).toEqual([String(MIB), String(2 * MIB), String(3 * MIB), String(data.length)]);
    expect(last?.done).toBe(true);
    expect(last?.resource).toMatchObject({ name: 'big-copy', size: String(data.length) });
    expect((await download(OTHER, 'big-copy')).equals(data)).toBe(true);

    // The finished token cannot be used again.
    const reused = await rewrite('big', 'big-copy', undefined, `rewriteToken=${enc(token!)}`, OTHER);
    expect(reused.status).toBe(410);
  });

  it('finishes in one call when the object is no larger than the limit', async () => {
    await emulator.putObject(B, 'small', patterned(MIB, 3));
    const res = await rewrite('small', 'small-copy', undefined, `maxBytesRewrittenPerCall=${MIB}`);
    expect(((await res.json()) as RewriteResponse).done).toBe(true);
  });

  it('requires maxBytesRewrittenPerCall to be a positive multiple of 1 MiB', async () => {
    await emulator.putObject(B, 'src', patterned(3 * MIB, 4));
    for (const bad of ['1000', '0', String(MIB + 1), '-1048576', 'x']) {
      const res = await rewrite('src', 'dst', undefined, `maxBytesRewrittenPerCall=${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it('refuses unknown tokens and tokens sent for another source or destination', async () => {
    await emulator.putObject(B, 'src', patterned(3 * MIB, 5));
    expect((await rewrite('src', 'dst', undefined, 'rewriteToken=not-a-token')).status).toBe(400);
    const first = (await (
      await rewrite('src', 'dst', undefined, `maxBytesRewrittenPerCall=${MIB}`)
    ).json()) as RewriteResponse;
    const token = enc(first.rewriteToken!);
    expect((await rewrite('src', 'elsewhere', undefined, `rewriteToken=${token}`)).status).toBe(400);
    await emulator.putObject(B, 'other-src', 'x');
    expect((await rewrite('other-src', 'dst', undefined, `rewriteToken=${token}`)).status).toBe(400);
    // The right request still continues it.
    const next = await rewrite('src', 'dst', undefined, `rewriteToken=${token}`);
    expect(((await next.json()) as RewriteResponse).done).toBe(true);
  });

  it('fails with 404 when the source is replaced mid-rewrite, and nothing is written', async () => {
    await emulator.putObject(B, 'moving', patterned(2 * MIB + 1, 6));
    const first = (await (
      await rewrite('moving', 'dst', undefined, `maxBytesRewrittenPerCall=${MIB}`)
    ).json()) as RewriteResponse;
    await emulator.putObject(B, 'moving', 'a new generation');
    const next = await rewrite('moving', 'dst', undefined, `rewriteToken=${enc(first.rewriteToken!)}`);
    expect(next.status).toBe(404);
    expect(emulator.getObject(B, 'dst')).toBeUndefined();
  });

  it('checks destination preconditions on the first call and again when the copy is written', async () => {
    await emulator.putObject(B, 'src', patterned(2 * MIB, 7));
    await emulator.putObject(B, 'taken', 'already here');
    const early = await rewrite(
      'src',
      'taken',
      undefined,
      `ifGenerationMatch=0&maxBytesRewrittenPerCall=${MIB}`,
    );
    expect(early.status).toBe(412);

    const first = (await (
      await rewrite('src', 'raced', undefined, `ifGenerationMatch=0&maxBytesRewrittenPerCall=${MIB}`)
    ).json()) as RewriteResponse;
    expect(first.done).toBe(false);
    await emulator.putObject(B, 'raced', 'someone else won');
    const late = await rewrite(
      'src',
      'raced',
      undefined,
      `ifGenerationMatch=0&maxBytesRewrittenPerCall=${MIB}&rewriteToken=${enc(first.rewriteToken!)}`,
    );
    expect(late.status).toBe(412);
    expect(emulator.getObject(B, 'raced')?.data.toString()).toBe('someone else won');
  });

  it('expires a rewrite token one week after the rewrite began (410)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-04-01T00:00:00Z'));
    await emulator.putObject(B, 'slow', patterned(2 * MIB, 8));
    const first = (await (
      await rewrite('slow', 'slow-copy', undefined, `maxBytesRewrittenPerCall=${MIB}`)
    ).json()) as RewriteResponse;
    vi.setSystemTime(new Date('2026-04-08T00:00:01Z'));
    const late = await rewrite('slow', 'slow-copy', undefined, `rewriteToken=${enc(first.rewriteToken!)}`);
    expect(late.status).toBe(410);
    expect(emulator.getObject(B, 'slow-copy')).toBeUndefined();
  });

  it('honours ifSourceGenerationMatch and sourceGeneration', async () => {
    const src = await emulator.putObject(B, 'src', 'v1');
    expect((await rewrite('src', 'a', undefined, 'ifSourceGenerationMatch=1')).status).toBe(412);
    expect((await rewrite('src', 'b', undefined, 'sourceGeneration=1')).status).toBe(404);
    expect((await rewrite('src', 'c', undefined, `ifSourceGenerationMatch=${src.generation}`)).status).toBe(
      200,
    );
  });
});

describe('objects.compose', () => {
  const compose = (name: string, body: unknown, query = ''): Promise<Response> =>
    fetch(`${origin}/storage/v1/b/${B}/o/${enc(name)}/compose?${query}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });

  it('concatenates sources in order; checks source generations and preconditions', async () => {
    const a = await emulator.putObject(B, 'a', 'AAA');
    await emulator.putObject(B, 'b', 'BB');
    const res = await compose('ab', {
      destination: { contentType: 'text/plain' },
      sourceObjects: [{ name: 'a', objectPreconditions: { ifGenerationMatch: a.generation } }, { name: 'b' }],
    });
    expect(res.status).toBe(200);
    const object = (await res.json()) as Record<string, unknown>;
    expect(object).toMatchObject({ componentCount: 2, contentType: 'text/plain', size: '5' });
    expect(object.md5Hash).toBeUndefined();
    expect((await download(B, 'ab')).toString()).toBe('AAABB');

    const stale = await compose('x', {
      sourceObjects: [{ name: 'a', objectPreconditions: { ifGenerationMatch: 1 } }],
    });
    expect(stale.status).toBe(412);
    expect((await compose('x', { sourceObjects: [{ name: 'a', generation: '1' }] })).status).toBe(404);
    expect((await compose('x', { sourceObjects: [{ name: 'missing' }] })).status).toBe(404);
  });

  it('checks destination preconditions: ifGenerationMatch, ifMetagenerationMatch', async () => {
    await emulator.putObject(B, 'a', 'A');
    const existing = await emulator.putObject(B, 'dest', 'old');
    const body = { sourceObjects: [{ name: 'a' }] };
    expect((await compose('dest', body, 'ifGenerationMatch=0')).status).toBe(412);
    expect((await compose('dest', body, 'ifMetagenerationMatch=2')).status).toBe(412);
    expect((await compose('dest', body, `ifGenerationNotMatch=${existing.generation}`)).status).toBe(412);
    expect((await compose('dest', body, `ifGenerationMatch=${existing.generation}`)).status).toBe(200);
    expect((await download(B, 'dest')).toString()).toBe('A');
  });

  it('refuses no sources, more than 32, and a result of more than 1024 components', async () => {
    expect((await compose('x', {})).status).toBe(400);
    expect((await compose('x', { sourceObjects: [] })).status).toBe(400);
    for (let i = 0; i < 32; i++) await emulator.putObject(B, `p${i}`, String(i % 10));
    const parts = Array.from({ length: 32 }, (_, i) => ({ name: `p${i}` }));
    expect((await compose('x', { sourceObjects: [...parts, { name: 'p0' }] })).status).toBe(400);
    expect((await compose('c32', { sourceObjects: parts })).status).toBe(200);
    const c1024 = await compose('c1024', {
      sourceObjects: Array.from({ length: 32 }, () => ({ name: 'c32' })),
    });
    expect(((await c1024.json()) as { componentCount: number }).componentCount).toBe(1024);
    const over = await compose('c1025', { sourceObjects: [{ name: 'c1024' }, { name: 'p0' }] });
    expect(over.status).toBe(400);
    expect(emulator.getObject(B, 'c1025')).toBeUndefined();
  });
});
