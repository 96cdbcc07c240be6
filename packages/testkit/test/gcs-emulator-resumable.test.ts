// Resumable uploads over raw HTTP, as the JSON API reference ("Perform resumable uploads") shows
// them, and as clients other than @google-cloud/storage send them: Go's client POSTs each chunk
// with `X-GUploader-No-308: yes` and reads "resume incomplete" from a 200 carrying
// `X-Http-Status-Code-Override: 308`, because its HTTP stack follows a bare 308 as a redirect.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc32cBase64 } from '../src/gcs/crc32c.js';
import { createGcsEmulator } from '../src/gcs/emulator.js';
import type { GcsEmulator } from '../src/gcs/types.js';

let emulator: GcsEmulator;
let origin: string;
const B = 'resumable-bucket';
/** 256 KiB, the unit of resumable uploads. */
const Q = 256 * 1024;

beforeAll(async () => {
  emulator = createGcsEmulator({ buckets: [B] });
  ({ origin } = await emulator.start());
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => {
  vi.useRealTimers();
});

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('base64');

/** `n` bytes that differ from position to position, so a misplaced chunk changes the content. */
function patterned(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Opens a session as the reference shows: POST ...?uploadType=resumable, metadata as JSON. */
async function openSession(
  name: string,
  metadata: Record<string, unknown> | null = { contentType: 'application/octet-stream' },
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(
    `${origin}/upload/storage/v1/b/${B}/o?uploadType=resumable&name=${encodeURIComponent(name)}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=UTF-8', ...headers },
      body: JSON.stringify(metadata),
    },
  );
  expect(res.status).toBe(200);
  const location = res.headers.get('location');
  expect(location).toContain('upload_id=');
  return location!;
}

function send(
  location: string,
  method: 'PUT' | 'POST',
  contentRange: string | undefined,
  body: Uint8Array | string = '',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(location, {
    method,
    body,
    redirect: 'manual',
    headers: contentRange === undefined ? headers : { 'Content-Range': contentRange, ...headers },
  });
}

const NO_308 = { 'X-GUploader-No-308': 'yes' };

async function download(name: string): Promise<Buffer> {
  const res = await fetch(`${origin}/storage/v1/b/${B}/o/${encodeURIComponent(name)}?alt=media`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('resumable uploads from a Go-style client (X-GUploader-No-308, POST chunks)', () => {
  it('uploads 20 MB in 8 MiB POST chunks, copies it with a `null` rewrite body, and reads both back byte for byte', async () => {
    const data = patterned(20_000_000, 1);
    const chunk = 8 * 1024 * 1024;
    const location = await openSession('go/20mb.bin', { name: 'go/20mb.bin', bucket: B });
    let offset = 0;
    let final: Response | undefined;
    while (offset < data.length) {
      const end = Math.min(offset + chunk, data.length);
      const last = end === data.length;
      const range = `bytes ${offset}-${end - 1}/${last ? data.length : '*'}`;
      const res = await send(location, 'POST', range, data.subarray(offset, end), {
        ...NO_308,
        'Content-Type': 'application/octet-stream',
      });
      if (!last) {
        // What Go's gensupport checks: a 200 whose override header says 308, and the Range.
        expect(res.status).toBe(200);
        expect(res.headers.get('x-http-status-code-override')).toBe('308');
        expect(res.headers.get('range')).toBe(`bytes=0-${end - 1}`);
        expect(await res.text()).toBe('');
      } else final = res;
      offset = end;
    }
    expect(final?.status).toBe(200);
    expect(final?.headers.get('x-http-status-code-override')).toBeNull();
    const object = (await final!.json()) as Record<string, unknown>;
    expect(object).toMatchObject({ name: 'go/20mb.bin', size: String(data.length), md5Hash: md5(data) });
    expect(object.crc32c).toBe(crc32cBase64(data));
    expect((await download('go/20mb.bin')).equals(data)).toBe(true);

    // Then a server-side copy as the same client sends it: rewriteTo with the body `null`.
    const copy = await fetch(
      `${origin}/storage/v1/b/${B}/o/${encodeURIComponent('go/20mb.bin')}/rewriteTo/b/${B}/o/${encodeURIComponent('go/copy.bin')}?alt=json&prettyPrint=false&projection=full`,
      { method: 'POST', body: 'null', headers: { 'Content-Type': 'application/json' } },
    );
    expect(copy.status).toBe(200);
    expect(await copy.json()).toMatchObject({
      done: true,
      resource: { name: 'go/copy.bin', md5Hash: md5(data) },
    });
    expect((await download('go/copy.bin')).equals(data)).toBe(true);
    const puts = emulator.requests.filter((r) => r.operation === 'uploads.put' && r.object === 'go/20mb.bin');
    expect(puts.map((r) => [r.method, r.status])).toEqual([
      ['POST', 200],
      ['POST', 200],
      ['POST', 200],
    ]);
  });

  it('finishes with an empty `bytes */TOTAL` request when the size is a multiple of the chunk size', async () => {
    const data = patterned(2 * Q, 2);
    const location = await openSession('go/exact.bin', null);
    const first = await send(location, 'POST', `bytes 0-${2 * Q - 1}/*`, data, NO_308);
    expect(first.headers.get('x-http-status-code-override')).toBe('308');
    const done = await send(location, 'POST', `bytes */${2 * Q}`, '', NO_308);
    expect(done.status).toBe(200);
    expect(((await done.json()) as { size: string }).size).toBe(String(2 * Q));
    expect((await download('go/exact.bin')).equals(data)).toBe(true);
  });

  it('answers status queries (`bytes */*`, `bytes */TOTAL`) with the override when asked, and a bare 308 otherwise', async () => {
    const data = patterned(Q + 10, 3);
    const location = await openSession('status.bin');
    const empty = await send(location, 'PUT', 'bytes */*', '', NO_308);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('x-http-status-code-override')).toBe('308');
    expect(empty.headers.get('range')).toBeNull();

    expect((await send(location, 'PUT', `bytes 0-${Q - 1}/*`, data.subarray(0, Q))).status).toBe(308);
    const bare = await send(location, 'PUT', 'bytes */*');
    expect(bare.status).toBe(308);
    expect(bare.headers.get('range')).toBe(`bytes=0-${Q - 1}`);
    const withTotal = await send(location, 'POST', `bytes */${Q + 10}`, '', NO_308);
    expect(withTotal.status).toBe(200);
    expect(withTotal.headers.get('x-http-status-code-override')).toBe('308');
    expect(withTotal.headers.get('range')).toBe(`bytes=0-${Q - 1}`);

    const last = await send(location, 'POST', `bytes ${Q}-${Q + 9}/${Q + 10}`, data.subarray(Q), NO_308);
    expect(last.status).toBe(200);
    // Once finished, a status query answers with the object again.
    const after = await send(location, 'PUT', 'bytes */*', '', NO_308);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { size: string }).size).toBe(String(Q + 10));
  });
});

describe('resumable uploads: chunk size rules', () => {
  it('refuses a chunk under 256 KiB that is not the last, with the message GCS sends', async () => {
    const location = await openSession('small-chunk.bin');
    const res = await send(location, 'PUT', 'bytes 0-9/*', 'x'.repeat(10));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; errors: { reason: string }[] } };
    expect(body.error.message).toContain('required to be equal or greater than 262144');
    expect(body.error.message).toContain('contained 10 bytes');
    expect(body.error.errors[0]?.reason).toBe('invalid');
    // Nothing was kept, and the session still works.
    const status = await send(location, 'PUT', 'bytes */*');
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBeNull();
    const whole = await send(location, 'PUT', 'bytes 0-9/10', 'y'.repeat(10));
    expect(whole.status).toBe(200);
  });

  it('also refuses a small chunk whose total is known but not reached', async () => {
    const location = await openSession('small-known.bin');
    expect((await send(location, 'PUT', `bytes 0-99/${Q * 4}`, patterned(100))).status).toBe(400);
  });

  it('persists only whole 256 KiB units of a chunk that is not a multiple, and the client resends the rest', async () => {
    const data = patterned(3 * Q + 7, 4);
    const location = await openSession('unaligned.bin');
    const first = await send(location, 'PUT', `bytes 0-${Q + 99}/*`, data.subarray(0, Q + 100));
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${Q - 1}`);
    // Resume from where the Range says, as a client must.
    const second = await send(location, 'PUT', `bytes ${Q}-${3 * Q - 1}/*`, data.subarray(Q, 3 * Q));
    expect(second.headers.get('range')).toBe(`bytes=0-${3 * Q - 1}`);
    const last = await send(
      location,
      'PUT',
      `bytes ${3 * Q}-${3 * Q + 6}/${3 * Q + 7}`,
      data.subarray(3 * Q),
    );
    expect(last.status).toBe(200);
    expect((await download('unaligned.bin')).equals(data)).toBe(true);
  });

  it('accepts a last chunk of any size, and a single request with an unknown total (`bytes 0-*/*`)', async () => {
    const one = await openSession('one-shot.bin');
    const res = await send(one, 'PUT', 'bytes 0-*/*', 'tiny');
    expect(res.status).toBe(200);
    expect((await download('one-shot.bin')).toString()).toBe('tiny');
  });
});

describe('resumable uploads: cancellation and expiry', () => {
  it('cancels with DELETE: 499, then the session is gone (404) and nothing is stored', async () => {
    const location = await openSession('cancel.bin');
    expect((await send(location, 'POST', `bytes 0-${Q - 1}/*`, patterned(Q), NO_308)).status).toBe(200);
    const cancel = await fetch(location, { method: 'DELETE' });
    expect(cancel.status).toBe(499);
    expect((await send(location, 'PUT', 'bytes */*')).status).toBe(404);
    expect((await send(location, 'POST', `bytes ${Q}-${Q}/${Q + 1}`, 'x', NO_308)).status).toBe(404);
    expect(emulator.getObject(B, 'cancel.bin')).toBeUndefined();
  });

  it('expires a session one week after it was opened: 410 for every later request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T00:00:00Z'));
    const location = await openSession('expiring.bin');
    expect((await send(location, 'PUT', `bytes 0-${Q - 1}/*`, patterned(Q))).status).toBe(308);
    vi.setSystemTime(new Date('2026-03-07T23:59:00Z'));
    expect((await send(location, 'PUT', 'bytes */*')).status).toBe(308);
    vi.setSystemTime(new Date('2026-03-08T00:00:01Z'));
    const late = await send(location, 'PUT', `bytes ${Q}-${Q}/${Q + 1}`, 'x');
    expect(late.status).toBe(410);
    expect(((await late.json()) as { error: { code: number } }).error.code).toBe(410);
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(410);
    expect(emulator.getObject(B, 'expiring.bin')).toBeUndefined();
  });
});

describe('resumable uploads: checksums of the finished object', () => {
  it('checks X-Goog-Hash crc32c and md5 sent with the last chunk: 400 on a mismatch, nothing stored', async () => {
    const data = patterned(Q + 3, 5);
    const other = patterned(Q + 3, 6);
    for (const hash of [`crc32c=${crc32cBase64(other)}`, `md5=${md5(other)}`]) {
      const location = await openSession('hashed.bin');
      await send(location, 'PUT', `bytes 0-${Q - 1}/*`, data.subarray(0, Q));
      const res = await send(location, 'PUT', `bytes ${Q}-${Q + 2}/${Q + 3}`, data.subarray(Q), {
        'X-Goog-Hash': hash,
      });
      expect(res.status, hash).toBe(400);
      expect(emulator.getObject(B, 'hashed.bin')).toBeUndefined();
    }
    const location = await openSession('hashed.bin');
    await send(location, 'PUT', `bytes 0-${Q - 1}/*`, data.subarray(0, Q));
    const ok = await send(location, 'PUT', `bytes ${Q}-${Q + 2}/${Q + 3}`, data.subarray(Q), {
      'X-Goog-Hash': `crc32c=${crc32cBase64(data)},md5=${md5(data)}`,
    });
    expect(ok.status).toBe(200);
    expect((await download('hashed.bin')).equals(data)).toBe(true);
  });

  it('checks crc32c and md5Hash given in the metadata that opened the session', async () => {
    const data = patterned(Q + 1, 7);
    const wrong = await openSession('meta-hashed.bin', { crc32c: crc32cBase64(Buffer.from('nope')) });
    await send(wrong, 'POST', `bytes 0-${Q - 1}/*`, data.subarray(0, Q), NO_308);
    const res = await send(wrong, 'POST', `bytes ${Q}-${Q}/${Q + 1}`, data.subarray(Q), NO_308);
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 400 } });
    expect(emulator.getObject(B, 'meta-hashed.bin')).toBeUndefined();
    // A header that matches does not excuse metadata that does not.
    const both = await openSession('meta-hashed.bin', { md5Hash: md5(Buffer.from('nope')) });
    const mixed = await send(both, 'PUT', `bytes 0-${Q}/${Q + 1}`, data, {
      'X-Goog-Hash': `md5=${md5(data)}`,
    });
    expect(mixed.status).toBe(400);

    const right = await openSession('meta-hashed.bin', { crc32c: crc32cBase64(data), md5Hash: md5(data) });
    expect((await send(right, 'PUT', `bytes 0-${Q}/${Q + 1}`, data)).status).toBe(200);
  });

  it('checks X-Upload-Content-Length against what arrived', async () => {
    const location = await openSession('declared.bin', {}, { 'X-Upload-Content-Length': String(Q + 1) });
    expect((await send(location, 'PUT', 'bytes 0-2/3', 'abc')).status).toBe(400);
  });
});

/**
 * Sends a request with `Expect: 100-continue`: the server answers "continue" once it has read the
 * headers and its handler has looked up the session. Then `meanwhile` runs (other requests), and
 * only after it the body goes out. So `meanwhile` happens while this request is in progress, every
 * time, without timing.
 */
function sendAround(
  location: string,
  method: 'PUT' | 'POST',
  headers: Record<string, string>,
  body: Buffer,
  meanwhile: () => Promise<void>,
): Promise<{ status: number; body: string }> {
  const url = new URL(location);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, 'Content-Length': String(body.length), Expect: '100-continue' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      },
    );
    req.on('error', reject);
    req.on('continue', () => {
      meanwhile().then(
        () => req.end(body),
        (err: unknown) => {
          req.destroy();
          reject(err);
        },
      );
    });
    req.flushHeaders();
  });
}

describe('resumable uploads: racing requests', () => {
  it('answers a last chunk that was in flight while another request finished the upload with the same object', async () => {
    const data = patterned(Q + 9, 20);
    const location = await openSession('race.bin');
    await send(location, 'PUT', `bytes 0-${Q - 1}/*`, data.subarray(0, Q));
    const tail = `bytes ${Q}-${Q + 8}/${Q + 9}`;
    let firstGeneration = '';
    const retried = await sendAround(
      location,
      'PUT',
      { 'Content-Range': tail },
      data.subarray(Q),
      async () => {
        const first = await send(location, 'POST', tail, data.subarray(Q), NO_308);
        expect(first.status).toBe(200);
        firstGeneration = ((await first.json()) as { generation: string }).generation;
      },
    );
    expect(retried.status).toBe(200);
    expect((JSON.parse(retried.body) as { generation: string }).generation).toBe(firstGeneration);
    const stored = emulator.getObject(B, 'race.bin');
    expect(stored?.resource.generation).toBe(firstGeneration);
    expect(stored?.data.equals(data)).toBe(true);
  });

  it('answers 404 to a chunk whose session was cancelled while its body arrived, and stores nothing', async () => {
    const location = await openSession('cancel-race.bin');
    const res = await sendAround(
      location,
      'PUT',
      { 'Content-Range': 'bytes 0-9/10' },
      patterned(10, 30),
      async () => {
        expect((await fetch(location, { method: 'DELETE' })).status).toBe(499);
      },
    );
    expect(res.status).toBe(404);
    expect(emulator.getObject(B, 'cancel-race.bin')).toBeUndefined();
  });
});
