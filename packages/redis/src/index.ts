export type { RedisCommandClient } from './client.js';
export { type FallbackJournal, withLocalFallback } from './fallback-journal.js';
export { createFleetHealth } from './fleet.js';
export { DEFAULT_FLEET_PREFIX, FleetError } from './fleet-options.js';
export type {
  FleetCloseEvent,
  FleetHealth,
  FleetHealthOptions,
  FleetOpenEvent,
  FleetRouter,
  FleetStatus,
  RedisFleetClient,
  RedisSubscriber,
} from './fleet-types.js';
export { RedisNotReadyError } from './ioredis-gate.js';
export type { IoredisClient } from './ioredis-types.js';
export { createRedisJournal, type RedisJournal } from './journal.js';
export {
  DEFAULT_JOURNAL_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  type RedisJournalOptions,
} from './journal-options.js';
export { type PendingKeysWatch, type PendingKeysWatchOptions, watchPendingKeys } from './pending-keys.js';
export { withPendingKeysWatch } from './pending-keys-journal.js';
