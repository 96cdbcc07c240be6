import type { MultiCloudStore, MultiCloudStoreOptions } from '@failover/storage';

/** The commands of the `failover` bin. */
export type CommandName = 'status' | 'drill' | 'repair' | 'reconcile' | 'doctor';

/** What a config function is called with. */
export interface FailoverConfigContext {
  /** The command about to run, e.g. `'doctor'`. */
  readonly command: CommandName;
  /** The absolute path of the config file. */
  readonly configPath: string;
  /** The directory the command runs in. */
  readonly cwd: string;
  /** The process environment (read credentials' locations from it, never write them into the file). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * What a config produces: the options of `createMultiCloudStore` (preferred: the CLI then creates
 * the store itself, with automatic repair turned off, so `status`, `drill` and `doctor` change
 * nothing), or `{ store }`, a store you created (the CLI closes it when the command ends).
 */
export type FailoverConfigResult = MultiCloudStoreOptions | { readonly store: MultiCloudStore };

/**
 * The default export of `failover.config.mjs` (or `.js`, `.cjs`, `.ts`, `.mts`): the result, or a
 * function (sync or async) returning it, called once per command.
 */
export type FailoverConfig =
  | FailoverConfigResult
  | ((context: FailoverConfigContext) => FailoverConfigResult | Promise<FailoverConfigResult>);

/**
 * Identity function that types a config file:
 *
 * ```ts
 * import { defineConfig } from '@failover/cli';
 * export default defineConfig(({ env }) => ({ targets: [] }));
 * ```
 */
export function defineConfig(config: FailoverConfig): FailoverConfig {
  return config;
}
