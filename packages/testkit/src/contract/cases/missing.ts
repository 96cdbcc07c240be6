import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { expectRejection } from '../expect.js';

/** A missing key is an answer (null, false, NotFoundError), never an outage. */
export function missingCases(ctx: ContractContext): void {
  describe('missing keys', () => {
    it('head returns null, exists returns false, get rejects with NotFoundError', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('missing')}nothing-here`;
      expect(await store.head(key)).toBeNull();
      expect(await store.exists(key)).toBe(false);
      await expectRejection(store.get(key), { name: 'NotFoundError', kind: 'not_found', key });
      await expectRejection(store.get(key, { range: { start: 0, end: 1 } }), {
        name: 'NotFoundError',
        kind: 'not_found',
        key,
      });
    });

    it('a key that is only a prefix of other keys does not exist', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('missing-prefix');
      await store.put(`${prefix}dir/file`, 'x');
      expect(await store.exists(`${prefix}dir`)).toBe(false);
      expect(await store.head(`${prefix}dir`)).toBeNull();
      await expectRejection(store.get(`${prefix}dir`), { name: 'NotFoundError', kind: 'not_found' });
    });
  });
}
