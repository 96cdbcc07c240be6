import { describe, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { expectRejection } from '../expect.js';

/** Keys every store rejects, with the reason shown in the test name. */
export const INVALID_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['empty', ''],
  ['over 1024 UTF-8 bytes', 'é'.repeat(513)],
  ['a NUL character', 'a\u0000b'],
  ['a line break', 'a\nb'],
  ['a DEL character', 'a\u007fb'],
  ['a "." segment', 'a/./b'],
  ['a ".." segment', 'a/../b'],
  ['only ".."', '..'],
  ['a leading ".." segment', '../escape'],
];

const INVALID = { name: 'InvalidKeyError', kind: 'invalid' } as const;

/** Invalid keys are refused by every operation with InvalidKeyError, before anything is sent. */
export function invalidKeyCases(ctx: ContractContext): void {
  describe('invalid keys', () => {
    for (const [label, bad] of INVALID_KEYS) {
      it(`rejects a key with ${label} in put, get, head, exists, delete and copy`, async () => {
        const store = ctx.store();
        const good = `${ctx.prefix('invalid-key')}good`;
        await store.put(good, 'x');
        await expectRejection(store.put(bad, 'x'), INVALID);
        await expectRejection(store.get(bad), INVALID);
        await expectRejection(store.head(bad), INVALID);
        await expectRejection(store.exists(bad), INVALID);
        await expectRejection(store.delete(bad), INVALID);
        await expectRejection(store.copy(bad, good), INVALID);
        await expectRejection(store.copy(good, bad), INVALID);
      });
    }
  });
}
