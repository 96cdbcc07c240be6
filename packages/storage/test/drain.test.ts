import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll } from '../src/body.js';
import { collectStream } from '../src/chunks.js';
import { drainStream } from '../src/drain.js';

describe('drainStream: reading a stream to its end without an async iterator', () => {
  it('hands over every chunk in order and resolves at the end', async () => {
    const seen: unknown[] = [];
    await drainStream(Readable.from(['a', 'b', 'c']), (c) => seen.push(c));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('rejects with the stream error', async () => {
    const s = new Readable({ read() {} });
    const done = drainStream(s, () => {});
    s.push('x');
    s.destroy(new Error('boom'));
    await expect(done).rejects.toThrow('boom');
  });

  it('a stream destroyed before its end is a premature close, not a short success', async () => {
    const s = new Readable({ read() {} });
    const done = drainStream(s, () => {});
    s.push('x');
    setImmediate(() => s.destroy());
    await expect(done).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('what onChunk throws rejects the read and destroys the stream', async () => {
    const s = new Readable({ read() {} });
    s.push('x');
    const bad = new Error('not bytes');
    await expect(
      drainStream(s, () => {
        throw bad;
      }),
    ).rejects.toBe(bad);
    expect(s.destroyed).toBe(true);
  });

  it('a duplex is read to its readable end; its writable side is not waited for', async () => {
    const p = new PassThrough();
    p.push('y');
    p.push(null); // readable side ends; nobody ends the writable side
    const seen: unknown[] = [];
    await drainStream(p, (c) => seen.push(String(c)));
    expect(seen).toEqual(['y']);
  });

  it('an error after the end does not go unheard', async () => {
    const s = Readable.from(['z'], { autoDestroy: false });
    await drainStream(s, () => {});
    s.emit('error', new Error('late')); // would throw if no listener were left
  });
});

describe('readAll and collectStream over drainStream', () => {
  it('readAll joins the chunks; collectStream always returns a fresh copy', async () => {
    const chunk = Buffer.from('hello');
    expect((await readAll(Readable.from([Buffer.from('he'), Buffer.from('llo')]))).toString()).toBe('hello');
    const copy = await collectStream(Readable.from([chunk]), undefined);
    expect(copy.equals(chunk)).toBe(true);
    copy[0] = 0;
    expect(chunk.toString()).toBe('hello');
  });

  it('an abort destroys the stream and rejects with the reason', async () => {
    const s = new Readable({ read() {} });
    const ac = new AbortController();
    const done = readAll(s, ac.signal);
    ac.abort(new Error('stop'));
    await expect(done).rejects.toThrow('stop');
    expect(s.destroyed).toBe(true);
  });

  it('collectStream: a chunk that is not bytes is an InvalidArgumentError', async () => {
    const s = Readable.from([{ not: 'bytes' }], { objectMode: true });
    await expect(collectStream(s, undefined, 'k')).rejects.toMatchObject({ kind: 'invalid' });
  });
});
