export { DRILL_DEFAULTS } from './drill.js';
export { IntegrityError, QuorumNotReachedError } from './errors.js';
export {
  type AmnesiaOptions,
  MULTI_DEFAULTS,
  type MultiCloudStoreOptions,
  type ReadOptions,
  type RepairOptions,
  type SpoolOptions,
  type UnresponsiveOptions,
  type WriteLeaseOptions,
  type WriteMode,
} from './options.js';
export { RESERVED_PREFIX, SHA256_KEY, VERSION_KEY } from './reserved.js';
export { createMultiCloudStore, defaultJournalDir } from './store.js';
export type {
  DrillOptions,
  DrillReport,
  DrillStep,
  DrillTargetReport,
  MultiCloudBlobInfo,
  MultiCloudCallOptions,
  MultiCloudCounts,
  MultiCloudEventName,
  MultiCloudEvents,
  MultiCloudListEntry,
  MultiCloudListener,
  MultiCloudOwnEvents,
  MultiCloudStatus,
  MultiCloudStore,
  MultiCloudTargetStatus,
  ReconcileChange,
  ReconcileOptions,
  ReconcileReport,
  RepairFailure,
  RepairReport,
  RepairRunOptions,
} from './types.js';
export { compareVersions, HybridClock, type ParsedVersion, parseVersion } from './version.js';
