import type { Journal } from './types.js';

/** Whether `value` has the methods of a {@link Journal} (for option checks). */
export function isJournal(value: unknown): value is Journal {
  if (value === null || typeof value !== 'object') return false;
  const j = value as Record<string, unknown>;
  return ['append', 'resolve', 'pending', 'backlog', 'compact', 'close'].every(
    (m) => typeof j[m] === 'function',
  );
}
