import { createMultiCloudStore, type MultiCloudStore, type MultiCloudStoreOptions } from '@failover/storage';
import { CliError, messageOf } from '../errors.js';
import { loadConfig } from './load.js';
import type { FailoverConfigContext } from './types.js';

/** The store a command works on, and whether the CLI created it from options. */
export interface OpenedStore {
  readonly store: MultiCloudStore;
  /** True when the config returned options and the CLI created the store (automatic repair off). */
  readonly created: boolean;
}

const STORE_METHODS = ['status', 'drill', 'repair', 'reconcile', 'close', 'on'] as const;

function checkStore(store: unknown, path: string): MultiCloudStore {
  const s = store as Record<string, unknown> | null;
  const missing = STORE_METHODS.filter((m) => typeof s?.[m] !== 'function');
  if (s === null || typeof s !== 'object' || missing.length > 0 || !Array.isArray(s.targets)) {
    throw new CliError(
      'config',
      `${path}: store must be a multi-cloud store from createMultiCloudStore (missing ${missing.join(', ') || 'targets'})`,
    );
  }
  return store as MultiCloudStore;
}

/**
 * Loads the config and returns its store. From options, the CLI creates the store with automatic
 * repair turned off (no repair on startup, on recovery, on a timer or after a write), so only
 * `failover repair` repairs, and without the journal-id check (`amnesia.journal: false`: that is
 * the application's); the rest of the options are the config's.
 */
export async function openStore(context: FailoverConfigContext): Promise<OpenedStore> {
  const result = await loadConfig(context);
  if ('store' in result) return { store: checkStore(result.store, context.configPath), created: false };
  const options: MultiCloudStoreOptions = {
    ...result,
    repair: { ...result.repair, onRecovery: false, intervalMs: false, delayMs: false },
    // The application checks its journal's id against the clouds' markers, not a command: a
    // command's journal (often another one, or none) must not report a reset or write its id.
    amnesia: result.amnesia === false ? false : { ...result.amnesia, journal: false },
  };
  try {
    return { store: createMultiCloudStore(options), created: true };
  } catch (err) {
    throw new CliError('config', `${context.configPath}: invalid store options: ${messageOf(err)}`, {
      cause: err,
    });
  }
}
