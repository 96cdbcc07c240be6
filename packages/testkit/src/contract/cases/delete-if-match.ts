import type { BlobStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectRejection } from '../expect.js';
import { INVALID_IF_MATCH } from './if-match.js';

const preconditionFailed = (key: string) => ({ name: 'PreconditionFailedError', kind: 'precondition', key });

async function text(store: BlobStore, key: string): Promise<string> {
  const { body } = await store.get(key);
  return (await readStream(body)).toString('utf8');
}

/**
 * `ifMatch` on `delete`: only the version the caller saw (its `etag`) is deleted; another version
 * there is kept and the delete refused with `PreconditionFailedError`, checked at the moment of
 * the delete (of a conditional delete and a conditional put racing on one etag, exactly one
 * happens). No object at the key is not an error. Bad values are refused at once. With
 * `ctx.options.ifMatch` false (the multi-cloud store), the option is refused with
 * `InvalidArgumentError` and nothing is deleted.
 */
export function deleteIfMatchCases(ctx: ContractContext): void {
  describe('delete with ifMatch', () => {
    it.each(INVALID_IF_MATCH)('refuses ifMatch with %s at once, deleting nothing', async (_label, bad) => {
      const store = ctx.store();
      const key = `${ctx.prefix('delete-if-match-invalid')}k`;
      await store.put(key, 'kept');
      const err = await expectRejection(() => store.delete(key, { ifMatch: bad as string }), {
        name: 'InvalidArgumentError',
        kind: 'invalid',
      });
      expect((err as { argument?: unknown }).argument).toBe('ifMatch');
      expect(await text(store, key)).toBe('kept');
    });

    if (!ctx.options.ifMatch) {
      it('refuses ifMatch with InvalidArgumentError, deleting nothing', async () => {
        const store = ctx.store();
        const key = `${ctx.prefix('delete-if-match-unsupported')}k`;
        const written = await store.put(key, 'kept');
        const err = await expectRejection(() => store.delete(key, { ifMatch: written.etag ?? 'x' }), {
          name: 'InvalidArgumentError',
          kind: 'invalid',
        });
        expect((err as { argument?: unknown }).argument).toBe('ifMatch');
        expect(await text(store, key)).toBe('kept');
      });
      return;
    }

    it('delete with the etag of the object there removes it (the etag from put, head, get and list)', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('delete-if-match');
      const fromPut = await store.put(`${prefix}put`, 'a');
      await store.delete(`${prefix}put`, { ifMatch: fromPut.etag! });
      expect(await store.head(`${prefix}put`)).toBeNull();

      await store.put(`${prefix}head`, 'b');
      const headed = await store.head(`${prefix}head`);
      await store.delete(`${prefix}head`, { ifMatch: headed!.etag! });
      expect(await store.exists(`${prefix}head`)).toBe(false);

      await store.put(`${prefix}get`, 'c');
      const got = await store.get(`${prefix}get`);
      await readStream(got.body);
      await store.delete(`${prefix}get`, { ifMatch: got.info.etag! });
      expect(await store.exists(`${prefix}get`)).toBe(false);

      await store.put(`${prefix}list`, 'd');
      let listed: string | undefined;
      for await (const e of store.list({ prefix }))
        if ('key' in e && e.key === `${prefix}list`) listed = e.etag;
      expect(typeof listed).toBe('string');
      await store.delete(`${prefix}list`, { ifMatch: listed! });
      expect(await store.exists(`${prefix}list`)).toBe(false);
    });

    it('delete with a stale etag (another write came first) is refused and keeps the newer version', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('delete-if-match-stale')}k`;
      const seen = await store.put(key, 'seen');
      const newer = await store.put(key, 'newer', { metadata: { by: 'other' } });
      await expectRejection(store.delete(key, { ifMatch: seen.etag! }), preconditionFailed(key));
      const { info, body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('newer');
      expect(info.metadata).toEqual({ by: 'other' });
      expect(info.etag).toBe(newer.etag);
      // The etag of what is there now still deletes it.
      await store.delete(key, { ifMatch: newer.etag! });
      expect(await store.head(key)).toBeNull();
    });

    it('delete with ifMatch where no object exists is not an error and creates nothing', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('delete-if-match-missing');
      const gone = await store.put(`${prefix}k`, 'deleted soon');
      await store.delete(`${prefix}k`);
      await store.delete(`${prefix}k`, { ifMatch: gone.etag! });
      expect(await store.head(`${prefix}k`)).toBeNull();
      await store.delete(`${prefix}never`, { ifMatch: gone.etag! });
      expect(await store.exists(`${prefix}never`)).toBe(false);
    });

    it('a metadata change with a new etag: the etag from before it deletes nothing', async () => {
      const store = ctx.store();
      if (store.setMetadata === undefined) return;
      const key = `${ctx.prefix('delete-if-match-metadata')}k`;
      const seen = await store.put(key, 'bytes', { metadata: { n: '1' } });
      const changed = await store.setMetadata(key, { n: '2' });
      // S3's ETag is its content's MD5: a metadata replace keeps it, so it still names the object.
      if (changed.etag === seen.etag) return;
      await expectRejection(store.delete(key, { ifMatch: seen.etag! }), preconditionFailed(key));
      const info = await store.head(key);
      expect(info?.metadata).toEqual({ n: '2' });
      expect(info?.etag).toBe(changed.etag);
    });

    it('a conditional delete racing a conditional put on the same etag: exactly one of them happens', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('delete-if-match-race')}k`;
      for (let round = 0; round < 5; round++) {
        const seen = await store.put(key, `v${round}`);
        const [written, deleted] = await Promise.allSettled([
          store.put(key, `next${round}`, { ifMatch: seen.etag! }),
          store.delete(key, { ifMatch: seen.etag! }),
        ]);
        expect([written!.status, deleted!.status].sort()).toEqual(['fulfilled', 'rejected']);
        const failed = [written!, deleted!].find((r) => r.status === 'rejected')?.reason;
        expect({ name: failed?.name, kind: failed?.kind }).toEqual({
          name: 'PreconditionFailedError',
          kind: 'precondition',
        });
        if (written!.status === 'fulfilled') expect(await text(store, key)).toBe(`next${round}`);
        else expect(await store.head(key)).toBeNull();
      }
    });
  });
}
