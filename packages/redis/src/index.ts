export type { RedisCommandClient } from './client.js';
export { createRedisJournal, type RedisJournal } from './journal.js';
export {
  DEFAULT_JOURNAL_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  type RedisJournalOptions,
} from './journal-options.js';
