import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The built packages, as a user's plain Node process sees them: `import` (ESM) and `require`
 * (CJS) through each package's `exports` map, and `.d.ts` files where `types` points. Run after
 * `pnpm build` (the `check` script does).
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const expected: Record<string, readonly string[]> = {
  '@failover/core': [
    'createFailover',
    'wrap',
    'classifyFailure',
    'registerClassifier',
    'AllTargetsFailedError',
    'isFailoverError',
    'isInvalidOptionError',
    'isAllTargetsFailedError',
  ],
  '@failover/storage': ['createMemoryStore', 'createFileSystemStore', 'getJson', 'putJson', 'NotFoundError'],
  '@failover/s3': ['createS3Store', 'classifyS3Error'],
  '@failover/gcs': ['createGcsStore', 'classifyGcsError'],
  '@failover/azure-blob': ['createAzureBlobStore', 'classifyAzureError'],
  '@failover/http': ['withFailover', 'createFailoverAxios'],
  '@failover/cli': ['runCli', 'defineConfig', 'EXIT_CODES', 'CliError'],
  '@failover/otel': ['instrument'],
  '@failover/redis': ['createRedisJournal', 'createFleetHealth', 'watchPendingKeys', 'RedisNotReadyError'],
  '@failover/testkit': [
    'createFaultProxy',
    'startS3Server',
    'startGcsServer',
    'startAzureServer',
    'createGcsEmulator',
    'startRedisServer',
    'startTcpProxy',
  ],
};

function exportsOf(pkg: string, mode: 'import' | 'require'): string[] {
  const script =
    mode === 'import'
      ? `import(${JSON.stringify(pkg)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`
      : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(pkg)}))))`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: here, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '[]') as string[];
}

describe('built packages', () => {
  for (const [pkg, names] of Object.entries(expected)) {
    const dir = join(root, 'packages', pkg.replace('@failover/', ''));

    it(`${pkg}: dist exists with ESM, CJS and type declarations`, () => {
      for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        expect(existsSync(join(dir, f)), `${pkg}/${f} missing: run pnpm build first`).toBe(true);
      }
    });

    it.each(['import', 'require'] as const)(`${pkg}: %s exposes the public API`, (mode) => {
      const keys = exportsOf(pkg, mode);
      for (const name of names) expect(keys, `${pkg} (${mode}) lacks ${name}`).toContain(name);
    });
  }

  it('@failover/cli: the built failover bin runs from a plain Node process', () => {
    const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
    expect(existsSync(bin), 'packages/cli/dist/bin.js missing: run pnpm build first').toBe(true);
    const out = execFileSync(process.execPath, [bin, '--version'], { cwd: here, encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('@failover/core: the ESM and CommonJS builds loaded together share error brands and classifiers', () => {
    // Two copies of core in one process (the dual-package case; npm nesting two versions is the
    // other): errors of one are instances of the other's classes, and a classifier registered
    // through one is consulted by the other.
    const script = `
      const cjs = require('@failover/core');
      import('@failover/core').then((esm) => {
        const err = new cjs.InvalidOptionError('retry.maxAttempts', 'bad');
        const marker = { busy: true };
        cjs.registerClassifier((e) => (e === marker ? 'throttled' : undefined));
        console.log(JSON.stringify({
          twoCopies: esm.InvalidOptionError !== cjs.InvalidOptionError,
          instanceOf: err instanceof esm.InvalidOptionError && err instanceof esm.FailoverError,
          notOther: !(err instanceof esm.AllTargetsFailedError),
          helpers: esm.isInvalidOptionError(err) && esm.isFailoverError(err),
          classifier: esm.classifyFailure(marker),
        }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: here, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop() ?? '{}')).toEqual({
      twoCopies: true,
      instanceOf: true,
      notOther: true,
      helpers: true,
      classifier: 'throttled',
    });
  });

  it('@failover/testkit/contract is its own entry point', () => {
    const dir = join(root, 'packages', 'testkit');
    expect(existsSync(join(dir, 'dist/contract/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/contract/index.d.ts'))).toBe(true);
  });

  it('@failover/redis: neither redis nor ioredis is needed to load it or compile against its types', () => {
    // Both clients are optional peers: a user installs one. Comments (TSDoc examples) aside,
    // nothing in the bundles or declarations may name either package.
    const dir = join(root, 'packages', 'redis', 'dist');
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      const code = readFileSync(join(dir, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/['"](io)?redis['"]/);
    }
  });
});
