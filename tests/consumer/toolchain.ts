import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { describeEnd, exec, tail } from './exec.js';

/** The Node binary of one major, and the npm CLI script every lane runs with it. */
export interface Toolchain {
  readonly node: string;
  readonly version: string;
}

/**
 * A clean environment for the apps: the workspace's pnpm/npm variables removed (pnpm run sets
 * `npm_config_*`, which would change how npm installs), the lane's Node first on PATH (so package
 * scripts and `#!/usr/bin/env node` run that Node).
 */
export function cleanEnv(nodeBinary: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') || lower.startsWith('pnpm') || key === 'NODE_OPTIONS' || key === 'INIT_CWD')
      continue;
    env[key] = value;
  }
  env.PATH = [dirname(nodeBinary), process.env.PATH ?? ''].join(delimiter);
  // The AWS SDK warns on Node 20 about its 2027 releases; the warning is not what is tested here.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  env.NO_UPDATE_NOTIFIER = '1';
  env.npm_config_update_notifier = 'false';
  return env;
}

/**
 * The Node binary of `major`: this process's own when it is that major, otherwise the `node`
 * package from the npm registry through `npx -y node@MAJOR` (a binary shipped inside a registry
 * package; cached in npm's cache after the first run).
 */
export async function nodeOf(major: number): Promise<Toolchain> {
  if (Number(process.versions.node.split('.')[0]) === major) {
    return { node: process.execPath, version: process.version };
  }
  const npx = join(dirname(npmCli()), 'npx-cli.js');
  const args = [
    npx,
    '-y',
    '--prefer-offline',
    `node@${major}`,
    '-p',
    'process.execPath + " " + process.version',
  ];
  const result = await exec(process.execPath, args, {
    cwd: process.cwd(),
    env: cleanEnv(process.execPath),
    timeoutMs: 180_000,
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  const [node, version] = line.split(' ');
  if (result.code !== 0 || !node || !version || !existsSync(node)) {
    throw new Error(
      `Could not get Node ${major} from the npm registry (npx -y node@${major}) ${describeEnd(result, 180_000)}:\n` +
        `${tail(result.stdout + result.stderr)}\n` +
        '  The consumer test runs each lane on its own Node major; without network access to the npm\n' +
        '  registry (or a warm npm cache) Node 22 and 24 cannot be fetched.',
    );
  }
  return { node, version };
}

/** The npm CLI script (npm-cli.js) of the npm on PATH, run with each lane's Node. */
export function npmCli(): string {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = join(dir, 'npm');
    if (dir && existsSync(bin)) candidates.push(realpathSync(bin));
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  const found = candidates.find((path) => path.endsWith('.js') && existsSync(path));
  if (!found) throw new Error(`npm-cli.js not found (looked at ${candidates.join(', ')})`);
  return found;
}
