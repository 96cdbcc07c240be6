import { Readable } from 'node:stream';
import type { BlobStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectRejection } from '../expect.js';

/** `ifMatch` values every store refuses, with the reason shown in the test name. */
export const INVALID_IF_MATCH: ReadonlyArray<readonly [string, unknown]> = [
  ['an empty string', ''],
  ["'*' (not an entity tag)", '*'],
  ['a double quote', 'ab"cd'],
  ['a CRLF (header injection)', 'abc\r\nX-Evil: 1'],
  ['non-ASCII', 'étag'],
  ['leading white space', ' abc'],
  ['over 1024 characters', 'e'.repeat(1025)],
  ['a number', 42],
  ['null', null],
];

const preconditionFailed = (key: string) => ({ name: 'PreconditionFailedError', kind: 'precondition', key });

async function text(store: BlobStore, key: string): Promise<string> {
  const { body } = await store.get(key);
  return (await readStream(body)).toString('utf8');
}

/**
 * `ifMatch`: a write that replaces only the version the caller saw (its `etag`), refused with
 * `PreconditionFailedError` when another write came first or the object is gone, checked at the
 * moment of the write (of racing conditional writes, one wins). With `ctx.options.ifMatch` false
 * (a store that does not take it, like the multi-cloud store), the option must be refused at once
 * with `InvalidArgumentError` and nothing written.
 */
export function ifMatchCases(ctx: ContractContext): void {
  describe('ifMatch', () => {
    it.each(INVALID_IF_MATCH)('refuses ifMatch with %s, writing nothing', async (_label, bad) => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-invalid')}k`;
      const err = await expectRejection(() => store.put(key, 'x', { ifMatch: bad as string }), {
        name: 'InvalidArgumentError',
        kind: 'invalid',
      });
      expect((err as { argument?: unknown }).argument).toBe('ifMatch');
      expect(await store.exists(key)).toBe(false);
    });

    it('refuses ifMatch together with ifNoneMatch, writing nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-both')}k`;
      const first = await store.put(key, 'first');
      const err = await expectRejection(
        () => store.put(key, 'x', { ifMatch: first.etag!, ifNoneMatch: '*' }),
        { name: 'InvalidArgumentError', kind: 'invalid' },
      );
      expect((err as { argument?: unknown }).argument).toBe('ifMatch');
      expect(await text(store, key)).toBe('first');
    });

    if (!ctx.options.ifMatch) {
      it('refuses ifMatch with InvalidArgumentError, writing nothing', async () => {
        const store = ctx.store();
        const key = `${ctx.prefix('if-match-unsupported')}k`;
        const first = await store.put(key, 'original');
        const err = await expectRejection(() => store.put(key, 'next', { ifMatch: first.etag ?? 'x' }), {
          name: 'InvalidArgumentError',
          kind: 'invalid',
        });
        expect((err as { argument?: unknown }).argument).toBe('ifMatch');
        expect(await text(store, key)).toBe('original');
      });
      return;
    }

    it('put with the etag of the object there replaces it, and the new version has a new etag', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match')}k`;
      const first = await store.put(key, 'first', { metadata: { n: '1' } });
      expect(typeof first.etag).toBe('string');
      const second = await store.put(key, 'second', { ifMatch: first.etag!, metadata: { n: '2' } });
      expect(typeof second.etag).toBe('string');
      expect(second.etag).not.toBe(first.etag);
      const { info, body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('second');
      expect(info.metadata).toEqual({ n: '2' });
      expect(info.etag).toBe(second.etag);
      // And again, with the etag the last write returned.
      await store.put(key, 'third', { ifMatch: second.etag! });
      expect(await text(store, key)).toBe('third');
    });

    it('the etag from head, get and list is one ifMatch accepts', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('if-match-sources');
      const key = `${prefix}k`;
      await store.put(key, 'v1');
      const headed = await store.head(key);
      await store.put(key, 'v2', { ifMatch: headed!.etag! });
      const got = await store.get(key);
      await readStream(got.body);
      await store.put(key, 'v3', { ifMatch: got.info.etag! });
      let listed: string | undefined;
      for await (const e of store.list({ prefix })) if ('key' in e && e.key === key) listed = e.etag;
      expect(typeof listed).toBe('string');
      await store.put(key, 'v4', { ifMatch: listed! });
      expect(await text(store, key)).toBe('v4');
    });

    it('put with a stale etag (another write came first) is refused and changes nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-stale')}k`;
      const seen = await store.put(key, 'seen');
      const newer = await store.put(key, 'newer', { metadata: { by: 'other' } });
      await expectRejection(store.put(key, 'late', { ifMatch: seen.etag! }), preconditionFailed(key));
      const { info, body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('newer');
      expect(info.metadata).toEqual({ by: 'other' });
      expect(info.etag).toBe(newer.etag);
    });

    it('put of a stream with a stale etag is refused and changes nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-stream')}k`;
      const seen = await store.put(key, 'seen');
      await store.put(key, 'newer');
      const body = Readable.from([Buffer.from('late '), Buffer.from('stream')]);
      await expectRejection(store.put(key, body, { ifMatch: seen.etag! }), preconditionFailed(key));
      expect(await text(store, key)).toBe('newer');
    });

    it('put with ifMatch where no object exists is refused and creates nothing', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-missing')}k`;
      const gone = await store.put(key, 'deleted soon');
      await store.delete(key);
      await expectRejection(store.put(key, 'resurrected', { ifMatch: gone.etag! }), preconditionFailed(key));
      expect(await store.head(key)).toBeNull();
      const never = `${ctx.prefix('if-match-missing')}never`;
      await expectRejection(store.put(never, 'x', { ifMatch: gone.etag! }), preconditionFailed(never));
      expect(await store.exists(never)).toBe(false);
    });

    it('of racing writes with the same ifMatch, exactly one wins', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-match-race')}k`;
      const seen = await store.put(key, 'seen');
      const bodies = ['w0', 'w1', 'w2', 'w3'];
      const results = await Promise.allSettled(bodies.map((b) => store.put(key, b, { ifMatch: seen.etag! })));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [bodies[i]!] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect({ name: r.reason?.name, kind: r.reason?.kind }).toEqual({
            name: 'PreconditionFailedError',
            kind: 'precondition',
          });
        }
      }
      expect(await text(store, key)).toBe(won[0]);
    });
  });
}
