import { PassThrough, Readable } from 'node:stream';
import { abortableStream, commonPrefixOf, compareUtf8 } from '@failover/storage';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeSegment,
  hashSegment,
  MAX_ESCAPED_SEGMENT,
  objectName,
  parseName,
  unescapeSegment,
} from '../src/fs/layout.js';

describe('compareUtf8', () => {
  it('orders strings exactly as their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
    expect(compareUtf8('\uff5e', '😀')).toBeLessThan(0); // JavaScript's < says the opposite
  });
});

describe('commonPrefixOf', () => {
  it('cuts after the first delimiter following the prefix', () => {
    expect(commonPrefixOf('a/b/c', 'a/', '/')).toBe('a/b/');
    expect(commonPrefixOf('a/b', 'a/', '/')).toBeUndefined();
    expect(commonPrefixOf('x--y', '', '--')).toBe('x--');
    expect(commonPrefixOf('a/b', '', undefined)).toBeUndefined();
  });
});

describe('filesystem layout names', () => {
  it('escapes every segment to lowercase-safe ASCII that unescapes to itself', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('/')),
        (segment) => {
          const escaped = escapeSegment(segment);
          expect(escaped).toMatch(/^[a-z0-9_.%A-F-]*$/);
          expect(escaped.endsWith('.')).toBe(false);
          expect(unescapeSegment(escaped)).toBe(segment);
          // A segment whose escaped form is too long for a file name is stored under its hash
          // (40 graphemes of 4-byte characters escape to about 480 characters).
          expect(parseName(objectName(segment))).toEqual(
            escaped.length <= MAX_ESCAPED_SEGMENT
              ? { type: 'object', segment }
              : { type: 'object', hash: hashSegment(segment) },
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a segment too long once escaped is stored under its hash (found by the property above, seed 808852905)', () => {
    const segment = '\u{1109A}\u0800\u{1D160} \u0800\u{1109A}\u{10000}\u{1D160}\u{1D160}\u{10000}'.repeat(4);
    expect(escapeSegment(segment).length).toBeGreaterThan(MAX_ESCAPED_SEGMENT);
    expect(parseName(objectName(segment))).toEqual({ type: 'object', hash: hashSegment(segment) });
  });

  it('rejects names that are not exactly what escaping produces', () => {
    for (const name of ['o~A', 'o~%61', 'o~%2f', 'o~%2F', 'o~a.', 'x~a', '.tmp-1', 'README', 'ho~short']) {
      expect(parseName(name)).toBeUndefined();
    }
  });
});

describe('abortableStream', () => {
  it('reports whatever ends the source after an abort as AbortedError with the reason', async () => {
    const source = new PassThrough();
    const controller = new AbortController();
    const body = abortableStream(source, controller.signal);
    source.write('first');
    const reader = body[Symbol.asyncIterator]();
    await reader.next();
    controller.abort('why');
    // An SDK reacting to the same signal with its own error must not change what the reader sees.
    source.destroy(Object.assign(new Error('sdk abort'), { name: 'AbortError' }));
    await expect(reader.next()).rejects.toMatchObject({ name: 'AbortedError', cause: 'why' });
    expect(source.destroyed).toBe(true);
  });

  it('passes other errors through unchanged and returns the source when there is no signal', async () => {
    const source = new PassThrough();
    const body = abortableStream(source, new AbortController().signal);
    const failure = new Error('disk');
    source.destroy(failure);
    await expect(body[Symbol.asyncIterator]().next()).rejects.toBe(failure);
    const plain = Readable.from(['x']);
    expect(abortableStream(plain, undefined)).toBe(plain);
  });
});
