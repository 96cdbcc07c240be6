import type { JournalEntry } from '../journal/types.js';

/**
 * A put's plain intent: recorded before the put was sent (in flight, or failed, or its writer
 * died), not observed by a read (a read that returns its version journals it as observed, no
 * intent any more), and not a `'primary'` put's provisional record (which may have been
 * acknowledged). Such a put may not have happened: it hides no older delete from reads, listings
 * or reconcile.
 */
export function isPlainPutIntent(entry: JournalEntry): boolean {
  return entry.op === 'put' && entry.intent === true && entry.provisional !== true;
}
