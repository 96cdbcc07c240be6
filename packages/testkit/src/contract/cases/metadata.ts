import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectInfo, expectRejection } from '../expect.js';

/** Content type and user metadata round-trip; metadata keys come back lowercase. */
export function metadataCases(ctx: ContractContext): void {
  describe('metadata and content type', () => {
    it('returns the content type and metadata given at put (head, get, list)', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('metadata');
      const key = `${prefix}doc.txt`;
      const metadata = { owner: 'team-a', purpose: 'contract test', version_2: '42' };
      const contentType = 'text/plain; charset=utf-8';
      const bytes = Buffer.from('metadata body');
      expectInfo(
        await store.put(key, bytes, { contentType, metadata }),
        { key, size: bytes.length, bytes, contentType, metadata },
        'put',
      );
      const expected = { key, size: bytes.length, bytes, contentType, metadata };
      expectInfo(await store.head(key), expected, 'head');
      const { info, body } = await store.get(key);
      expectInfo(info, expected, 'get');
      await readStream(body);
      const listed = [];
      for await (const entry of store.list({ prefix })) listed.push(entry);
      expect(listed).toHaveLength(1);
      expectInfo(listed[0] as never, expected, 'list');
    });

    it('setMetadata (where the store has it) replaces the metadata, keeps bytes and content type, honours ifMatch', async (t) => {
      const store = ctx.store();
      if (store.setMetadata === undefined) {
        t.skip();
        return;
      }
      const key = `${ctx.prefix('metadata-set')}object`;
      const bytes = Buffer.from('bytes kept as they are');
      const put = await store.put(key, bytes, { contentType: 'text/plain', metadata: { a: '1', gone: 'x' } });
      const changed = await store.setMetadata(key, { a: '2', added: 'y' }, { ifMatch: put.etag });
      expect(changed.metadata).toEqual({ a: '2', added: 'y' });
      const head = await store.head(key);
      expect(head?.metadata).toEqual({ a: '2', added: 'y' });
      expect(head?.contentType).toBe('text/plain');
      expect(head?.size).toBe(bytes.length);
      const { body } = await store.get(key);
      expect(await readStream(body)).toEqual(bytes);
      // The object changed since that entity tag: refused, and nothing changes.
      if (put.etag !== undefined && head?.etag !== put.etag) {
        await expectRejection(store.setMetadata(key, { a: '3' }, { ifMatch: put.etag }), {
          name: 'PreconditionFailedError',
          kind: 'precondition',
        });
        expect((await store.head(key))?.metadata).toEqual({ a: '2', added: 'y' });
      }
      await expectRejection(store.setMetadata(`${key}-missing`, { a: '1' }), {
        name: 'NotFoundError',
        kind: 'not_found',
      });
    });

    it('lowercases metadata keys given in mixed case', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('metadata-case')}object`;
      await store.put(key, 'x', { metadata: { MixedCase: 'Value Kept', UPPER_KEY: 'b', lower: 'c' } });
      const head = await store.head(key);
      expect(head?.metadata).toEqual({ mixedcase: 'Value Kept', upper_key: 'b', lower: 'c' });
      const { info, body } = await store.get(key);
      expect(info.metadata).toEqual({ mixedcase: 'Value Kept', upper_key: 'b', lower: 'c' });
      await readStream(body);
    });

    it('stores application/octet-stream and empty metadata when none are given', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('metadata-default')}object`;
      await store.put(key, 'x');
      const head = await store.head(key);
      expect(head?.contentType).toBe('application/octet-stream');
      expect(head?.metadata).toEqual({});
    });

    it('rejects invalid metadata with InvalidArgumentError and writes nothing', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('metadata-invalid');
      const invalid: Array<Record<string, string>> = [
        { 'has-dash': 'x' },
        { 'has space': 'x' },
        { '1starts_with_digit': 'x' },
        { ok: 'non-ascii é' },
        { ok: 'line\nbreak' },
        { Same: 'a', same: 'b' },
        { big: 'x'.repeat(4096) },
      ];
      for (const [i, metadata] of invalid.entries()) {
        const key = `${prefix}object-${i}`;
        await expectRejection(store.put(key, 'x', { metadata }), {
          name: 'InvalidArgumentError',
          kind: 'invalid',
        });
        expect(await store.exists(key)).toBe(false);
      }
    });
  });
}
