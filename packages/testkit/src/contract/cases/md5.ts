import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectRejection } from '../expect.js';

const md5Of = (data: string | Uint8Array): string => createHash('md5').update(data).digest('hex');

/**
 * `md5`: the caller's MD5 of a byte body, sent for the cloud to check instead of hashed again. The
 * right one stores the object; one that does not match the bytes stores nothing (the cloud, or the
 * store itself, refuses it: kind `invalid`); with a stream, or not 32 hex digits, it is an
 * `InvalidArgumentError` naming `md5`.
 */
export function md5Cases(ctx: ContractContext): void {
  describe('md5', () => {
    it('stores a byte body given with its MD5 (either case)', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('md5-ok')}k`;
      const data = 'content with a known digest';
      const info = await store.put(key, data, { md5: md5Of(data).toUpperCase() });
      expect(info.size).toBe(data.length);
      if (info.checksums.md5 !== undefined) expect(info.checksums.md5).toBe(md5Of(data));
      const { body } = await store.get(key);
      expect((await readStream(body)).toString('utf8')).toBe(data);
    });

    it('refuses a byte body whose MD5 does not match it, storing nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('md5-wrong')}k`;
      const err = await store.put(key, 'the real bytes', { md5: md5Of('other bytes') }).then(
        () => undefined,
        (e: unknown) => e as { kind?: unknown },
      );
      expect(err, 'a put with a wrong md5 must fail').toBeInstanceOf(Error);
      expect(err?.kind).toBe('invalid');
      expect(await store.exists(key)).toBe(false);
    });

    it.each([
      ['31 digits', 'a'.repeat(31)],
      ['a non-hex digit', `${'a'.repeat(31)}g`],
      ['base64', 'XrY7u+Ae7tCTyyK7j1rNww=='],
      ['a number', 42],
    ])('refuses md5 as %s, writing nothing', async (_label, bad) => {
      const store = ctx.store();
      const key = `${ctx.prefix('md5-invalid')}k`;
      const err = await expectRejection(() => store.put(key, 'x', { md5: bad as string }), {
        name: 'InvalidArgumentError',
        kind: 'invalid',
      });
      expect((err as { argument?: unknown }).argument).toBe('md5');
      expect(await store.exists(key)).toBe(false);
    });

    it('refuses md5 with a stream body, writing nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('md5-stream')}k`;
      const err = await expectRejection(
        () => store.put(key, Readable.from([Buffer.from('streamed')]), { md5: md5Of('streamed') }),
        { name: 'InvalidArgumentError', kind: 'invalid' },
      );
      expect((err as { argument?: unknown }).argument).toBe('md5');
      expect(await store.exists(key)).toBe(false);
    });
  });
}
