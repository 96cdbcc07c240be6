import { describe, expect, it } from 'vitest';
import { parseFields, selectFields } from '../src/gcs/fields.js';
import { globToRegExp } from '../src/gcs/glob.js';
import { type ListQuery, listPage } from '../src/gcs/listing.js';
import { multipartBoundary, parseMultipartRelated } from '../src/gcs/multipart.js';
import { compareUtf8 } from '../src/gcs/names.js';
import { parsePath } from '../src/gcs/paths.js';
import { parseRangeHeader } from '../src/gcs/range-header.js';

function query(overrides: Partial<ListQuery>): ListQuery {
  return {
    prefix: '',
    delimiter: undefined,
    maxResults: 1000,
    pageToken: undefined,
    startOffset: undefined,
    endOffset: undefined,
    includeTrailingDelimiter: false,
    matchGlob: undefined,
    ...overrides,
  };
}

/** The listing computed the obvious way, to check {@link listPage} against. */
function naiveList(sorted: string[], q: ListQuery): { names: string[]; prefixes: string[] } {
  const names: string[] = [];
  const prefixes = new Set<string>();
  for (const name of sorted.filter((n) => n.startsWith(q.prefix))) {
    const rest = name.slice(q.prefix.length);
    const at = q.delimiter === undefined ? -1 : rest.indexOf(q.delimiter);
    if (at < 0) {
      names.push(name);
      continue;
    }
    const common = q.prefix + rest.slice(0, at + q.delimiter!.length);
    prefixes.add(common);
    if (q.includeTrailingDelimiter && common === name) names.push(name);
  }
  return { names, prefixes: [...prefixes].sort(compareUtf8) };
}

/** A small seeded generator, so failures can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('listPage', () => {
  it('gives the same entries paged at any size as in one page (random trees)', () => {
    const random = rng(42);
    const alphabet = ['a', 'b', '/', '-', 'é', '😀'];
    for (let round = 0; round < 40; round++) {
      const names = new Set<string>();
      const count = 1 + Math.floor(random() * 40);
      while (names.size < count) {
        const length = 1 + Math.floor(random() * 6);
        names.add(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
      }
      const sorted = [...names].sort(compareUtf8);
      for (const base of [
        query({}),
        query({ delimiter: '/' }),
        query({ delimiter: '/', prefix: 'a' }),
        query({ delimiter: '/', includeTrailingDelimiter: true }),
        query({ delimiter: 'b-' }),
      ]) {
        const whole = listPage(sorted, base);
        expect(whole.nextPageToken).toBeUndefined();
        expect(whole).toEqual({ ...naiveList(sorted, base), nextPageToken: undefined });
        for (const maxResults of [1, 2, 3]) {
          const items: string[] = [];
          const prefixes: string[] = [];
          let pageToken: string | undefined;
          let pages = 0;
          do {
            const page = listPage(sorted, { ...base, maxResults, pageToken });
            expect(page.names.length + page.prefixes.length).toBeLessThanOrEqual(maxResults);
            items.push(...page.names);
            prefixes.push(...page.prefixes);
            pageToken = page.nextPageToken;
            pages += 1;
            expect(pages).toBeLessThan(200);
          } while (pageToken !== undefined);
          expect(items).toEqual(whole.names);
          expect(prefixes).toEqual(whole.prefixes);
        }
      }
    }
  });

  it('applies prefix, offsets and globs', () => {
    const names = ['a', 'a/1', 'a/2', 'b', 'c'];
    expect(listPage(names, query({ prefix: 'a/' })).names).toEqual(['a/1', 'a/2']);
    expect(listPage(names, query({ startOffset: 'a/2', endOffset: 'c' })).names).toEqual(['a/2', 'b']);
    expect(listPage(names, query({ matchGlob: globToRegExp('a/*') })).names).toEqual(['a/1', 'a/2']);
    expect(listPage(names, query({ prefix: 'zzz' })).names).toEqual([]);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'd/a.txt', false],
    ['**.txt', 'd/a.txt', true],
    ['d/**/a.txt', 'd/a.txt', true],
    ['d/**/a.txt', 'd/x/y/a.txt', true],
    ['?.bin', 'a.bin', true],
    ['?.bin', '/.bin', false],
    ['[ab]*', 'banana', true],
    ['[!ab]*', 'banana', false],
    ['[a-c]x', 'bx', true],
    ['{x,y{1,2}}z', 'y2z', true],
    ['{x,y{1,2}}z', 'y3z', false],
    ['a\\*b', 'a*b', true],
    ['a.b', 'aXb', false],
    ['(x)|y', '(x)|y', true],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});

describe('fields', () => {
  it('selects nested and listed fields', () => {
    const value = {
      a: 1,
      b: { c: 2, d: 3 },
      items: [
        { name: 'x', size: '1' },
        { name: 'y', size: '2' },
      ],
    };
    expect(selectFields(value, parseFields('a,b/c,items(name)'))).toEqual({
      a: 1,
      b: { c: 2 },
      items: [{ name: 'x' }, { name: 'y' }],
    });
    expect(selectFields(value, parseFields('*'))).toEqual(value);
    expect(() => parseFields('a,,b')).toThrow();
    expect(() => parseFields('a(b')).toThrow();
  });
});

describe('parseRangeHeader', () => {
  it('reads ranges against a size', () => {
    expect(parseRangeHeader(undefined, 10)).toEqual({ kind: 'full' });
    expect(parseRangeHeader('bytes=0-0', 10)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(parseRangeHeader('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRangeHeader('bytes=-5', 0)).toEqual({ kind: 'full' });
    expect(parseRangeHeader('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('multipart', () => {
  it('finds the boundary and splits the parts, with CRLF or LF line ends', () => {
    expect(multipartBoundary('multipart/related; boundary="q r"')).toBe('q r');
    expect(multipartBoundary('multipart/form-data; boundary=x')).toBeUndefined();
    for (const eol of ['\r\n', '\n']) {
      const body = Buffer.from(
        `--b${eol}Content-Type: application/json${eol}${eol}{"name":"n"}${eol}--b${eol}Content-Type: image/png${eol}${eol}BYTES${eol}--b--`,
      );
      const parsed = parseMultipartRelated(body, 'b');
      expect(parsed.metadata).toEqual({ name: 'n' });
      expect(parsed.data.toString()).toBe('BYTES');
      expect(parsed.dataContentType).toBe('image/png');
    }
    expect(() => parseMultipartRelated(Buffer.from('no parts'), 'b')).toThrow();
  });
});

describe('paths and ordering', () => {
  it('strips every API prefix and decodes segments after splitting', () => {
    expect(parsePath('/storage/v1/b/x/o/a%2Fb')).toEqual({
      family: 'json',
      segments: ['b', 'x', 'o', 'a/b'],
    });
    expect(parsePath('/b/x/o/a%2Fb')).toEqual({ family: 'json', segments: ['b', 'x', 'o', 'a/b'] });
    expect(parsePath('/upload/storage/v1/b/x/o')).toEqual({ family: 'upload', segments: ['b', 'x', 'o'] });
    expect(parsePath('/download/storage/v1/b/x/o/y')).toEqual({
      family: 'download',
      segments: ['b', 'x', 'o', 'y'],
    });
    expect(parsePath('/storage/v1/upload/storage/v1/b/x/o').family).toBe('upload');
  });

  it('compares by UTF-8 bytes', () => {
    const strings = ['\u{1F600}', '\uFF5E', 'a', 'ab', '', 'é'];
    const bytewise = [...strings].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...strings].sort(compareUtf8)).toEqual(bytewise);
  });
});
