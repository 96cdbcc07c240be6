import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

/** The adapters and the SDK each one wraps (its peer dependency). */
export const ADAPTER_SDKS: readonly { readonly adapter: string; readonly sdk: string }[] = Object.freeze([
  { adapter: '@failover/s3', sdk: '@aws-sdk/client-s3' },
  { adapter: '@failover/gcs', sdk: '@google-cloud/storage' },
  { adapter: '@failover/azure-blob', sdk: '@azure/storage-blob' },
]);

/** The Node.js major versions @failover supports. */
export const MIN_NODE_MAJOR = 20;

/** One version check of `doctor`. */
export interface VersionCheck {
  /** `node`, or the SDK package checked. */
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
}

interface FoundPackage {
  readonly dir: string;
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

/** Finds `name` the way Node does: in `node_modules` of `from` and of each parent directory. */
export function findPackage(name: string, from: string): FoundPackage | undefined {
  let dir = from;
  const { root } = parse(from);
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as {
        version?: string;
        peerDependencies?: Record<string, string>;
      };
      return {
        dir: realpathSync(dirname(candidate)),
        version: json.version ?? '0.0.0',
        peerDependencies: json.peerDependencies ?? {},
      };
    }
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/** The CLI's own directory, a second place to look for the adapters. */
function cliDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Checks Node.js and, for each adapter installed next to the config file (or the CLI), that the SDK
 * it loads satisfies its peer range. An adapter that is not installed is not in use: nothing to
 * check.
 */
export function checkVersions(configDir: string, nodeVersion = process.versions.node): VersionCheck[] {
  const checks: VersionCheck[] = [];
  const major = Number(nodeVersion.split('.')[0]);
  checks.push({
    name: 'node',
    ok: major >= MIN_NODE_MAJOR,
    message:
      major >= MIN_NODE_MAJOR
        ? `Node.js ${nodeVersion}`
        : `Node.js ${nodeVersion} is too old: @failover needs ${MIN_NODE_MAJOR} or later`,
  });
  for (const { adapter, sdk } of ADAPTER_SDKS) {
    const found = findPackage(adapter, configDir) ?? findPackage(adapter, cliDir());
    if (!found) continue;
    const range = found.peerDependencies[sdk];
    const installed = findPackage(sdk, found.dir);
    if (!installed) {
      checks.push({
        name: sdk,
        ok: false,
        message: `${sdk} is not installed, but ${adapter} ${found.version} needs it`,
      });
      continue;
    }
    const ok = range === undefined || semver.satisfies(installed.version, range);
    checks.push({
      name: sdk,
      ok,
      message: ok
        ? `${sdk} ${installed.version} (${adapter} ${found.version} supports ${range ?? 'any'})`
        : `${sdk} ${installed.version} is outside ${range}, the range ${adapter} ${found.version} supports`,
    });
  }
  return checks;
}
