import { Readable } from 'node:stream';
import type { BlobStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { expectRejection } from '../expect.js';

/** Content types every store refuses, with the reason shown in the test name. */
export const INVALID_CONTENT_TYPES: ReadonlyArray<readonly [string, unknown]> = [
  ['a CRLF (header injection)', 'text/plain\r\nX-Evil: 1'],
  ['a NUL', 'text/plain\u0000'],
  ['non-ASCII', 'text/plaín'],
  ['over 255 characters', `text/${'x'.repeat(251)}`],
  ['an empty string', ''],
  ['a number', 42],
];

/** `size` values every store refuses. */
export const INVALID_SIZES: ReadonlyArray<readonly [string, unknown]> = [
  ['-1', -1],
  ['NaN', Number.NaN],
  ["'x'", 'x'],
  ['1.5', 1.5],
  ['Infinity', Number.POSITIVE_INFINITY],
];

/** Options arguments every store refuses (they must be an object when given). */
export const INVALID_OPTIONS: ReadonlyArray<readonly [string, unknown]> = [
  ['a string', 'x'],
  ['a number', 5],
  ['null', null],
  ['an array', []],
];

/** Signals every store refuses: anything that is not an AbortSignal. */
export const INVALID_SIGNALS: ReadonlyArray<readonly [string, unknown]> = [
  ['{}', {}],
  ['true', true],
  ['a string', 'abort'],
  ['null', null],
];

const invalid = (argument: string) => ({ name: 'InvalidArgumentError', kind: 'invalid', argument }) as const;

async function expectInvalid(action: () => Promise<unknown>, argument: string): Promise<void> {
  const err = await expectRejection(action, invalid(argument));
  expect((err as { argument?: unknown }).argument).toBe(argument);
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) {
    // nothing
  }
}

/** Every call shape of a store that takes options, with `options` in its place. */
function callsWith(store: BlobStore, key: string, other: string, options: unknown) {
  const o = options as never;
  return [
    ['put', () => store.put(key, 'x', o)],
    ['get', () => store.get(key, o)],
    ['head', () => store.head(key, o)],
    ['exists', () => store.exists(key, o)],
    ['delete', () => store.delete(key, o)],
    ['copy', () => store.copy(other, key, o)],
    ['list', () => drain(store.list(o))],
  ] as const;
}

/**
 * Bad arguments get a clear typed error at once, the same on every store: `InvalidArgumentError`
 * (`kind: 'invalid'`) naming the argument, and nothing is written.
 */
export function badInputCases(ctx: ContractContext): void {
  describe('bad input', () => {
    it.each(INVALID_CONTENT_TYPES)('refuses a content type with %s, writing nothing', async (_label, bad) => {
      const store = ctx.store();
      const key = `${ctx.prefix('content-type')}k`;
      await expectInvalid(() => store.put(key, 'x', { contentType: bad as string }), 'contentType');
      await expectInvalid(
        () => store.put(key, Readable.from([Buffer.from('x')]), { contentType: bad as string }),
        'contentType',
      );
      expect(await store.head(key)).toBeNull();
    });

    it.each(INVALID_SIZES)('refuses size %s, writing nothing', async (_label, bad) => {
      const store = ctx.store();
      const key = `${ctx.prefix('bad-size')}k`;
      await expectInvalid(() => store.put(key, 'abc', { size: bad as number }), 'size');
      await expectInvalid(
        () => store.put(key, Readable.from([Buffer.from('abc')]), { size: bad as number }),
        'size',
      );
      expect(await store.head(key)).toBeNull();
    });

    it('refuses a size that does not match the body (bytes and streams, shorter and longer), writing nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('size-mismatch')}k`;
      await expectInvalid(() => store.put(key, 'abc', { size: 4 }), 'size');
      await expectInvalid(() => store.put(key, new Uint8Array(3), { size: 2 }), 'size');
      await expectInvalid(() => store.put(key, Readable.from([Buffer.from('abc')]), { size: 10 }), 'size');
      await expectInvalid(
        () => store.put(key, Readable.from([Buffer.from('abc'), Buffer.from('def')]), { size: 4 }),
        'size',
      );
      expect(await store.head(key)).toBeNull();
    });

    it('refuses range: null and a range that is not an object', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('range-null')}k`;
      await store.put(key, 'abc');
      await expectInvalid(() => store.get(key, { range: null as never }), 'range');
      await expectInvalid(() => store.get(key, { range: 'bytes=0-1' as never }), 'range');
    });

    it.each(INVALID_OPTIONS)('refuses options given as %s in every call', async (_label, bad) => {
      const store = ctx.store();
      const prefix = ctx.prefix('bad-options');
      await store.put(`${prefix}src`, 'x');
      for (const [op, call] of callsWith(store, `${prefix}k`, `${prefix}src`, bad)) {
        await expectInvalid(call, 'options').catch((err: unknown) => {
          throw new Error(`${op}: ${(err as Error).message}`);
        });
      }
      expect(await store.head(`${prefix}k`)).toBeNull();
    });

    it.each(INVALID_SIGNALS)('refuses signal %s in every call', async (_label, bad) => {
      const store = ctx.store();
      const prefix = ctx.prefix('bad-signal');
      await store.put(`${prefix}src`, 'x');
      for (const [op, call] of callsWith(store, `${prefix}k`, `${prefix}src`, { signal: bad })) {
        await expectInvalid(call, 'signal').catch((err: unknown) => {
          throw new Error(`${op}: ${(err as Error).message}`);
        });
      }
      expect(await store.head(`${prefix}k`)).toBeNull();
    });

    it('refuses list options given as a string or a number', async () => {
      const store = ctx.store();
      await expectInvalid(() => drain(store.list('x' as never)), 'options');
      await expectInvalid(() => drain(store.list(5 as never)), 'options');
    });

    it('refuses a list prefix or delimiter with a NUL or another control character', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('nul-prefix');
      await expectInvalid(() => drain(store.list({ prefix: `${prefix}a\u0000` })), 'prefix');
      await expectInvalid(() => drain(store.list({ prefix: `${prefix}a\n` })), 'prefix');
      await expectInvalid(() => drain(store.list({ prefix, delimiter: '\u0000' })), 'delimiter');
    });
  });
}
