import { describe, expect, it } from 'vitest';
import {
  checkInt,
  describeValue,
  InvalidOptionError,
  type OptionsReader,
  readOptions,
} from '../src/index.js';

function thrown(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

const isNamed = (v: unknown): v is { name: string } =>
  typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string';

type Read = (r: OptionsReader) => unknown;

describe('readOptions: every error names the full path and reads the same', () => {
  const cases: [string, unknown, string, Read, string, string][] = [
    [
      'int under min',
      { n: 0 },
      '',
      (r) => r.int('n', { min: 1, max: 10 }),
      'n',
      'must be an integer from 1 to 10, got 0',
    ],
    [
      'int over max',
      { n: 11 },
      'a',
      (r) => r.int('n', { min: 1, max: 10 }),
      'a.n',
      'must be an integer from 1 to 10, got 11',
    ],
    ['int fraction', { n: 1.5 }, '', (r) => r.int('n', { min: 1, max: 10 }), 'n', 'got 1.5'],
    ['int NaN', { n: Number.NaN }, '', (r) => r.int('n', { min: 1, max: 10 }), 'n', 'got NaN'],
    ['int string', { n: '5' }, '', (r) => r.int('n', { min: 1, max: 10 }), 'n', 'got "5"'],
    [
      'int unsafe',
      { n: 2 ** 60 },
      '',
      (r) => r.int('n', { min: 0 }),
      'n',
      'must be an integer of at least 0',
    ],
    [
      'int labels',
      { n: 3 },
      'retry',
      (r) => r.int('n', { min: 5, minLabel: 'retry.baseDelayMs', max: 9, maxLabel: 'nine' }),
      'retry.n',
      'must be an integer from 5 (retry.baseDelayMs) to 9 (nine), got 3',
    ],
    [
      'int required',
      {},
      'x',
      (r) => r.int('n', { min: 1, max: 2, required: true }),
      'x.n',
      'is required (an integer from 1 to 2)',
    ],
    [
      'number',
      { p: 101 },
      '',
      (r) => r.number('p', { min: 1, max: 100 }),
      'p',
      'must be a number from 1 to 100, got 101',
    ],
    [
      'number Infinity',
      { p: Infinity },
      '',
      (r) => r.number('p', { min: 1 }),
      'p',
      'must be a number of at least 1, got Infinity',
    ],
    ['ms negative', { t: -1 }, '', (r) => r.ms('t'), 't', 'must be an integer from 0 to 2147483647, got -1'],
    ['ms over timer', { t: 2 ** 31 }, '', (r) => r.ms('t', { min: 1 }), 't', 'from 1 to 2147483647'],
    [
      'msOrFalse true',
      { t: true },
      'repair',
      (r) => r.msOrFalse('t', { min: 10, max: 100 }),
      'repair.t',
      'must be false or an integer from 10 to 100, got true',
    ],
    ['bool', { b: 'yes' }, '', (r) => r.bool('b'), 'b', 'must be a boolean, got "yes"'],
    ['string empty', { s: '' }, '', (r) => r.string('s'), 's', 'must be a non-empty string, got ""'],
    [
      'string blank',
      { s: '  ' },
      '',
      (r) => r.string('s', { notBlank: true }),
      's',
      'must be a non-empty string, got "  "',
    ],
    [
      'string number',
      { s: 3 },
      '',
      (r) => r.string('s', { allowEmpty: true }),
      's',
      'must be a string, got 3',
    ],
    [
      'string pattern',
      { s: 'A B' },
      '',
      (r) => r.string('s', { pattern: /^[a-z]+$/, rule: 'lower-case letters' }),
      's',
      'must be lower-case letters, got "A B"',
    ],
    [
      'string long value cut',
      { s: 'x'.repeat(100) },
      '',
      (r) => r.string('s', { pattern: /^y/ }),
      's',
      `got "${'x'.repeat(37)}..."`,
    ],
    [
      'oneOf',
      { j: 'fuzzy' },
      'retry',
      (r) => r.oneOf('j', ['full', 'none']),
      'retry.j',
      `must be one of 'full', 'none', got "fuzzy"`,
    ],
    ['function', { f: 'yes' }, '', (r) => r.function('f'), 'f', 'must be a function, got "yes"'],
    ['array', { a: 'x' }, '', (r) => r.array('a'), 'a', 'must be an array, got "x"'],
    [
      'array empty',
      { a: [] },
      '',
      (r) => r.array('a', { nonEmpty: true, of: 'names' }),
      'a',
      'must be a non-empty array of names, got an array',
    ],
    ['array required', {}, '', (r) => r.array('a', { required: true }), 'a', 'is required (an array)'],
    [
      'check',
      { c: {} },
      'store',
      (r) => r.check('c', isNamed, 'a named thing'),
      'store.c',
      'must be a named thing, got an object',
    ],
    [
      'check required',
      {},
      '',
      (r) => r.check('c', isNamed, 'a named thing', { required: true }),
      'c',
      'is required (a named thing)',
    ],
    ['nested object', { o: 5 }, 'failover', (r) => r.object('o'), 'failover.o', 'must be an object, got 5'],
    ['nested array', { o: [] }, '', (r) => r.object('o'), 'o', 'must be an object, got an array'],
    ['nested null', { o: null }, '', (r) => r.object('o'), 'o', 'must be an object, got null'],
    [
      'nested path',
      { breaker: { resetTimeoutMs: 0 } },
      'failover',
      (r) => r.object('breaker').int('resetTimeoutMs', { min: 1, max: 5 }),
      'failover.breaker.resetTimeoutMs',
      'must be an integer from 1 to 5, got 0',
    ],
    [
      'objectOrFalse',
      { a: true },
      '',
      (r) => r.objectOrFalse('a'),
      'a',
      'must be an object or false, got true',
    ],
    ['fail', { k: 7 }, 'x', (r) => r.fail('k', 'a multiple of 2'), 'x.k', 'must be a multiple of 2, got 7'],
    [
      'refuse hides the value',
      { u: 'https://u:secret@h' },
      '',
      (r) => r.refuse('u', 'must not contain credentials'),
      'u',
      'must not contain credentials',
    ],
    [
      'unknown key',
      { a: 1, typo: 2 },
      '',
      (r) => {
        r.int('a', { min: 0 });
        r.bool('b');
        r.done();
      },
      'typo',
      'is not a known option (known: a, b)',
    ],
    [
      'nested unknown key',
      { retry: { tries: 3 } },
      'failover',
      (r) => {
        const retry = r.object('retry');
        retry.int('maxAttempts', { min: 1, max: 10 });
        retry.done();
      },
      'failover.retry.tries',
      'is not a known option (known: maxAttempts)',
    ],
  ];
  for (const [label, value, path, read, option, message] of cases) {
    it(label, () => {
      const err = thrown(() => read(readOptions(value, path)));
      expect(err.option).toBe(option);
      expect(err.kind).toBe('invalid');
      expect(err.message).toContain(`Invalid option "${option}": `);
      expect(err.message).toContain(message);
    });
  }

  it('refuses a value that is not an object, naming the path (or `options` at the top)', () => {
    expect(thrown(() => readOptions('x')).message).toBe(
      'Invalid option "options": must be an object, got "x"',
    );
    expect(thrown(() => readOptions(undefined, 'spool')).option).toBe('spool');
    expect(thrown(() => readOptions(null)).message).toContain('got null');
    expect(readOptions(undefined, 'spool', true).path).toBe('spool');
  });

  it('never shows a secret held in a refused value', () => {
    const err = thrown(() =>
      readOptions({ u: 'https://u:secret@h' }).refuse('u', 'must not contain credentials'),
    );
    expect(err.message).not.toContain('secret');
    expect(describeValue({ password: 'secret' })).toBe('an object');
    expect(describeValue(() => 'secret')).toBe('a function');
  });
});

describe('readOptions: values and defaults', () => {
  it('returns given values and fills in defaults', () => {
    const r = readOptions({ n: 3, t: false, b: false, s: 'x', j: 'none', f: Math.max, a: [1], o: { k: 1 } });
    expect(r.int('n', { min: 0, max: 5, default: 1 })).toBe(3);
    expect(r.int('missing', { min: 0, max: 5, default: 1 })).toBe(1);
    expect(r.int('missing2', { min: 0, max: 5 })).toBeUndefined();
    expect(r.msOrFalse('t', { default: 5 })).toBeUndefined();
    expect(r.msOrFalse('t2', { default: 5 })).toBe(5);
    expect(r.bool('b', { default: true })).toBe(false);
    expect(r.bool('b2', { default: true })).toBe(true);
    expect(r.string('s')).toBe('x');
    expect(r.string('s2', { default: 'd' })).toBe('d');
    expect(r.oneOf('j', ['full', 'none'], { default: 'full' })).toBe('none');
    expect(r.function('f')).toBe(Math.max);
    expect(r.array('a')).toEqual([1]);
    const o = r.object('o');
    expect(o.path).toBe('o');
    expect(o.int('k', { min: 0 })).toBe(1);
    o.done();
    expect(r.object('none').int('k', { min: 0, default: 9 })).toBe(9);
    expect(r.objectOrFalse('off')).not.toBeUndefined();
    r.done();
  });

  it('objectOrFalse gives undefined for false', () => {
    expect(readOptions({ amnesia: false }).objectOrFalse('amnesia')).toBeUndefined();
  });

  it('ignores unknown keys whose value is undefined, and keys read with has() or value() are known', () => {
    const r = readOptions({ a: 1, extra: undefined, raw: 'x' });
    expect(r.has('a')).toBe(true);
    expect(r.value('raw')).toBe('x');
    expect(() => r.done()).not.toThrow();
  });

  it('checkInt checks one value outside a reader', () => {
    expect(checkInt('deadlineMs', undefined, { min: 1, max: 5 })).toBeUndefined();
    expect(checkInt('deadlineMs', 3, { min: 1, max: 5 })).toBe(3);
    expect(thrown(() => checkInt('deadlineMs', 0, { min: 1, max: 5 })).message).toBe(
      'Invalid option "deadlineMs": must be an integer from 1 to 5, got 0',
    );
  });
});
