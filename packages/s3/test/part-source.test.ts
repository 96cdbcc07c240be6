import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PartSizes } from '../src/part-sizes.js';
import { bytesParts, type PartSource, streamParts } from '../src/part-source.js';

/** Every part of a source, each copied out before it is released (as a part request would). */
async function drain(
  source: PartSource,
): Promise<{ parts: number[]; bytes: Buffer; atEndAfterFirst: boolean }> {
  const parts: number[] = [];
  const out: Buffer[] = [];
  let atEndAfterFirst = false;
  for (let part = await source.next(); part !== undefined; part = await source.next()) {
    if (parts.length === 0) atEndAfterFirst = await source.atEnd();
    parts.push(part.byteLength);
    out.push(Buffer.from(part));
    source.release(part);
  }
  return { parts, bytes: Buffer.concat(out), atEndAfterFirst };
}

/** Parts of one size. */
function fixed(size: number): PartSizes {
  return () => size;
}

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) % 251;
  return b;
}

function chunked(bytes: Buffer, size: number): Readable {
  const list: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) list.push(bytes.subarray(at, at + size));
  return Readable.from(list);
}

describe('streamParts', () => {
  // [case, body bytes, chunk size, part size, expected part sizes]
  const cases: [string, number, number, number, number[]][] = [
    ['empty stream', 0, 1, 10, [0]],
    ['smaller than a part', 7, 3, 10, [7]],
    ['exactly one part', 10, 3, 10, [10]],
    ['one byte over a part', 11, 3, 10, [10, 1]],
    ['exact multiple of the part size', 30, 4, 10, [10, 10, 10]],
    ['chunks larger than a part', 25, 25, 10, [10, 10, 5]],
    ['chunks of one byte', 23, 1, 10, [10, 10, 3]],
    ['chunks equal to the part size', 20, 10, 10, [10, 10]],
  ];
  it.each(cases)('%s', async (_name, size, chunk, partSize, expected) => {
    const body = pattern(size);
    const { parts, bytes, atEndAfterFirst } = await drain(
      streamParts(chunked(body, chunk), fixed(partSize), 1),
    );
    expect(parts).toEqual(expected);
    expect(bytes.equals(body)).toBe(true);
    expect(atEndAfterFirst).toBe(expected.length === 1);
  });

  it('reuses its buffers: never more than it was given, and refuses a part past them', async () => {
    const body = pattern(100);
    const source = streamParts(chunked(body, 7), fixed(10), 2);
    const a = await source.next();
    const b = await source.next();
    await expect(source.next()).rejects.toThrow(/more than 2 parts out at once/);
    expect(a?.buffer).not.toBe(b?.buffer);
    // The failed call above took no bytes: the rest comes back whole once a buffer is free.
    source.release(a!);
    const got: Buffer[] = [Buffer.from(a!), Buffer.from(b!)];
    source.release(b!);
    const seen = new Set<ArrayBufferLike>([a!.buffer, b!.buffer]);
    for (let part = await source.next(); part !== undefined; part = await source.next()) {
      seen.add(part.buffer);
      got.push(Buffer.from(part));
      source.release(part);
    }
    expect(seen.size).toBe(2);
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('takes parts of the size given for each index, dropping a buffer too small for the next', async () => {
    const body = pattern(95);
    // Two parts of 10, two of 20, then 40: a stream of unknown size whose parts grow.
    const sizes: PartSizes = (i) => 10 * 2 ** Math.floor(i / 2);
    const source = streamParts(chunked(body, 3), sizes, 2);
    const parts: number[] = [];
    const buffers: number[] = [];
    const got: Buffer[] = [];
    for (let part = await source.next(); part !== undefined; part = await source.next()) {
      parts.push(part.byteLength);
      buffers.push(part.buffer.byteLength);
      got.push(Buffer.from(part));
      source.release(part);
    }
    expect(parts).toEqual([10, 10, 20, 20, 35]);
    // Each part in a buffer of its own size: the buffer of 10 was not kept for the parts of 20.
    expect(buffers).toEqual([10, 10, 20, 20, 40]);
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('passes on the stream failure from next()', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(4));
        this.destroy(new Error('disk gone'));
      },
    });
    const source = streamParts(failing, fixed(10), 1);
    await expect(source.next()).rejects.toThrow('disk gone');
  });
});

describe('bytesParts', () => {
  it('takes parts of the size given for each index', async () => {
    const body = pattern(50);
    const { parts, bytes } = await drain(bytesParts(body, (i) => (i === 0 ? 10 : 15)));
    expect(parts).toEqual([10, 15, 15, 10]);
    expect(bytes.equals(body)).toBe(true);
  });

  const cases: [string, number, number, number[]][] = [
    ['empty', 0, 10, [0]],
    ['smaller than a part', 7, 10, [7]],
    ['exactly one part', 10, 10, [10]],
    ['exact multiple', 30, 10, [10, 10, 10]],
    ['with a short last part', 25, 10, [10, 10, 5]],
  ];
  it.each(cases)('%s: views of the bytes, nothing copied', async (_name, size, partSize, expected) => {
    const body = pattern(size);
    const source = bytesParts(body, fixed(partSize));
    const first = await source.next();
    expect(first?.buffer).toBe(body.buffer);
    source.release(first!);
    const rest = await drain(source);
    expect([first!.byteLength, ...rest.parts]).toEqual(expected);
    expect(Buffer.concat([Buffer.from(first!), rest.bytes]).equals(body)).toBe(true);
  });
});
