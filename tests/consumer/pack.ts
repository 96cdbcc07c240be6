import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEnd, exec, tail } from './exec.js';
import { cleanEnv } from './toolchain.js';

/** Every published package: folder under packages/ and name. */
export const PACKAGES = [
  { dir: 'core', name: '@failover/core' },
  { dir: 'storage', name: '@failover/storage' },
  { dir: 's3', name: '@failover/s3' },
  { dir: 'gcs', name: '@failover/gcs' },
  { dir: 'azure-blob', name: '@failover/azure-blob' },
  { dir: 'http', name: '@failover/http' },
  { dir: 'redis', name: '@failover/redis' },
  { dir: 'testkit', name: '@failover/testkit' },
] as const;

/** Files every tarball must hold (besides its dist bundle). */
const REQUIRED_FILES = [
  'package/package.json',
  'package/README.md',
  'package/LICENSE',
  'package/dist/index.js',
  'package/dist/index.cjs',
  'package/dist/index.d.ts',
  'package/dist/index.d.cts',
];

/**
 * Packs every package with `pnpm pack` (which turns `workspace:^` into `^x.y.z`, as `pnpm publish`
 * does) into `dest`, and returns the tarball paths by package name. Needs the build (`pnpm build`).
 */
export async function packAll(root: string, dest: string): Promise<Map<string, string>> {
  for (const { dir, name } of PACKAGES) {
    if (!existsSync(join(root, 'packages', dir, 'dist', 'index.js'))) {
      throw new Error(`${name} is not built (packages/${dir}/dist missing): run \`pnpm build\` first.`);
    }
  }
  const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const args = [pnpm, '-r', '--filter', './packages/*', 'pack', '--pack-destination', dest];
  const result = await exec(process.execPath, args, {
    cwd: root,
    env: cleanEnv(process.execPath),
    timeoutMs: 180_000,
  });
  if (result.code !== 0) {
    throw new Error(`pnpm pack ${describeEnd(result, 180_000)}:\n${tail(result.stdout + result.stderr)}`);
  }
  const files = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  const tarballs = new Map<string, string>();
  for (const { name } of PACKAGES) {
    const base = name.replace('@', '').replace('/', '-');
    const file = files.find((f) => f.startsWith(`${base}-`) && /^\d/.test(f.slice(base.length + 1)));
    if (!file)
      throw new Error(`pnpm pack made no tarball for ${name} in ${dest} (found: ${files.join(', ')})`);
    tarballs.set(name, join(dest, file));
  }
  return tarballs;
}

/**
 * What a user gets in each tarball, checked before anything is installed: the files above, the
 * registry fields, caret ranges between our packages, and no `workspace:` left. Returns the
 * problems found (empty when all is well).
 */
export async function checkTarball(name: string, tarball: string, rootRepository: string): Promise<string[]> {
  const problems: string[] = [];
  const list = await exec('tar', ['-tzf', tarball], {
    cwd: process.cwd(),
    env: process.env,
    timeoutMs: 60_000,
  });
  const entries = new Set(list.stdout.split('\n'));
  for (const file of REQUIRED_FILES) {
    if (!entries.has(file)) problems.push(`${name}: ${file.slice('package/'.length)} is not in the tarball`);
  }
  const json = await exec('tar', ['-xzOf', tarball, 'package/package.json'], {
    cwd: process.cwd(),
    env: process.env,
    timeoutMs: 60_000,
  });
  const pkg = JSON.parse(json.stdout) as Record<string, unknown>;
  for (const field of ['repository', 'homepage', 'bugs', 'license']) {
    if (pkg[field] === undefined) problems.push(`${name}: package.json has no "${field}"`);
  }
  const repo = (pkg.repository as { url?: string } | undefined)?.url;
  if (repo !== undefined && repo !== rootRepository) {
    problems.push(`${name}: repository.url is ${repo}, the root package.json says ${rootRepository}`);
  }
  if (pkg.license !== 'Apache-2.0')
    problems.push(`${name}: license is ${String(pkg.license)}, not Apache-2.0`);
  for (const field of ['dependencies', 'peerDependencies']) {
    for (const [dep, range] of Object.entries((pkg[field] as Record<string, string> | undefined) ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${name}: ${field}.${dep} is still "${range}"`);
      if (dep.startsWith('@failover/') && !range.startsWith('^')) {
        problems.push(
          `${name}: ${field}.${dep} is "${range}", not a caret range: a patch release of ${dep} would nest a second copy`,
        );
      }
    }
  }
  const readme = await exec('tar', ['-xzOf', tarball, 'package/README.md'], {
    cwd: process.cwd(),
    env: process.env,
    timeoutMs: 60_000,
  });
  if (/\]\((?!https?:|#)[^)]*\)/.test(readme.stdout)) {
    problems.push(`${name}: README.md has relative links, which do not resolve on the registry's page`);
  }
  return problems;
}

/** The root package.json's repository URL, which every package must repeat. */
export function rootRepository(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    repository?: { url?: string };
  };
  return pkg.repository?.url ?? '(none)';
}
