import { checkKey, checkResolveArgs, checkSettleArgs, normalizeEntry } from './entry.js';
import { JournalError } from './errors.js';
import { HighWaterMarks } from './high-water.js';
import { JournalState } from './state.js';
import type { Journal, JournalEntry } from './types.js';

/**
 * A {@link Journal} in memory, with the same semantics as the file journal (pending entries,
 * resolve, superseding, backlog) but no durability: everything in it is lost when the process
 * exits or crashes, and so is every write that still had to be copied to a lagging target. Use it
 * in tests, or in an application that accepts that after a crash only a full reconcile restores
 * the targets' consistency.
 *
 * Every method completes at once; after `close()` they reject with a `JournalError`
 * (`kind: 'unavailable'`), except `backlog()`, which keeps answering.
 */
export function createMemoryJournal(): Journal {
  const state = new JournalState();
  const marks = new HighWaterMarks();
  let closed = false;
  // Shared by several stores in one process (tests), its calls are atomic: each runs at once.

  const whenOpen = <T>(run: () => T): Promise<T> => {
    if (closed) {
      return Promise.reject(
        new JournalError('unavailable', 'The memory journal is closed', { target: 'memory' }),
      );
    }
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const append = (entry: JournalEntry): Promise<void> =>
    whenOpen(() => {
      const e = normalizeEntry(entry);
      state.append(e);
      marks.append(e);
    });

  return {
    open: () => whenOpen(() => undefined),
    append,
    appendIntent: (entry: JournalEntry) => {
      // In memory, written is durable: one promise for both.
      const appended = append(entry);
      return { written: appended, durable: appended };
    },
    resolve: (id: string, target: string) =>
      whenOpen(() => {
        checkResolveArgs(id, target);
        state.resolve(id, target);
      }),
    pending: () => whenOpen(() => state.pending()),
    highWater: (key: string) => whenOpen(() => marks.get(checkKey(key))),
    settleIntent: (id: string, how: 'withdraw' | 'confirm') =>
      whenOpen(() => {
        checkSettleArgs(id, how);
        const item = state.item(id);
        if (item === undefined || item.entry.intent !== true) return false;
        if (how === 'withdraw') {
          for (const t of [...item.missing]) state.resolve(id, t);
          return true;
        }
        const { intent: _intent, ...fixed } = item.entry;
        const confirmed: JournalEntry = { ...fixed, holders: [...item.holders], missing: [...item.missing] };
        state.append(confirmed);
        marks.append(confirmed);
        return true;
      }),
    newestVersion: () => whenOpen(() => state.newestVersion),
    backlog: () => state.backlog,
    compact: () => whenOpen(() => undefined),
    close: async () => {
      closed = true;
    },
  };
}
