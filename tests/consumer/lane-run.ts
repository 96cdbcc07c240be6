import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeEnd, type ExecResult, exec, tail } from './exec.js';
import { type Lane, OLDEST_PEERS, TYPESCRIPT } from './lanes.js';
import { cleanEnv, npmCli, type Toolchain } from './toolchain.js';

/** One check's outcome, as the summary prints it. */
export interface CheckResult {
  readonly lane: string;
  readonly check: string;
  readonly ok: boolean;
  /** Why it failed, with the command's output: enough to act on without rerunning. */
  readonly detail: string;
  readonly seconds: number;
}

const INSTALL_TIMEOUT_MS = 8 * 60_000;
const TSC_TIMEOUT_MS = 4 * 60_000;
const RUN_TIMEOUT_MS = 3 * 60_000;
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'];

/** The entry points every lane runs: the same failover from ESM, CommonJS and compiled TypeScript. */
const ENTRIES = [
  { file: 'esm.mjs', what: 'ESM (import)' },
  { file: 'cjs.cjs', what: 'CommonJS (require, no top-level await)' },
  { file: 'ts-esm.mjs', what: 'TypeScript nodenext (compiled .mts)' },
] as const;

/** Runs one lane in a fresh npm project under the OS temp dir (outside the workspace). */
export class LaneRun {
  readonly results: CheckResult[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly dirs: string[] = [];

  constructor(
    private readonly lane: Lane,
    private readonly toolchain: Toolchain,
    private readonly tarballs: Map<string, string>,
    private readonly fixtures: string,
    private readonly gettingStarted: string,
  ) {
    this.env = cleanEnv(toolchain.node);
  }

  /**
   * Every check of the lane; a failed install or compile skips what depends on it. The S3-only
   * project runs alongside the main one (npm installs mostly wait on the disk and the network).
   */
  async run(): Promise<void> {
    if (this.lane.coreOnly) return this.coreOnly();
    await Promise.all([this.main(), this.lane.s3OnlyProject ? this.s3Only() : undefined]);
  }

  /** @failover/core alone: a clean install (no EBADENGINE) and one call through a router. */
  private async coreOnly(): Promise<void> {
    const core = this.tarballs.get('@failover/core');
    if (!core) throw new Error('no tarball for @failover/core');
    const dir = this.newProject(this.lane.id);
    if (!(await this.install(dir, [core], 'npm install @failover/core'))) return;
    await this.npmLsClean(dir);
    await this.opossumPicked(dir);
    await this.check('a call through createFailover (CommonJS)', async () => {
      const script =
        "const { createFailover } = require('@failover/core');" +
        "const fo = createFailover({ targets: [{ name: 'a' }, { name: 'b' }] });" +
        "fo.run(async (t) => { if (t.name === 'a') throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' }); return t.name; })" +
        '.then((served) => { console.log(served); if (served !== "b") process.exitCode = 1; });';
      const result = await exec(this.toolchain.node, ['-e', script], {
        cwd: dir,
        env: this.env,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      if (result.code === 0 && result.stdout.trim() === 'b') return undefined;
      return `node -e (${this.toolchain.version}) ${describeEnd(result, RUN_TIMEOUT_MS)}:\n${tail(result.stdout + result.stderr)}`;
    });
  }

  private async main(): Promise<void> {
    const dir = this.newProject(this.lane.id);
    const installed = await this.install(dir, [...this.tarballs.values(), ...this.lane.peers], 'npm install');
    if (!installed) return;
    await this.npmLsClean(dir);
    await this.opossumPicked(dir);
    cpSync(join(this.fixtures, 'app'), dir, { recursive: true });
    const compiled = await this.tsc(
      dir,
      'tsconfig.json',
      'tsc nodenext (ESM .mts + CommonJS .cts, skipLibCheck off)',
    );
    if (this.lane.node10Types) await this.tsc(dir, 'tsconfig.node10.json', 'tsc moduleResolution node10');
    for (const entry of ENTRIES) {
      if (entry.file === 'ts-esm.mjs' && !compiled) continue;
      await this.runEntry(dir, entry.file, entry.what);
    }
    await this.tryOut(dir);
  }

  /**
   * docs/getting-started.md's try-out, as the page says to run it: its sample saved as
   * `see-failover.mts` in this `npm init -y` (CommonJS) project, run with `npx tsx`.
   */
  private tryOut(dir: string): Promise<boolean> {
    return this.check('docs/getting-started.md try-out: npx tsx see-failover.mts', async () => {
      const page = readFileSync(this.gettingStarted, 'utf8');
      const at = page.indexOf('`see-failover.mts`');
      const start = page.indexOf('```ts\n', at);
      const end = page.indexOf('\n```', start + 6);
      if (at < 0 || start < 0 || end < 0)
        return 'the try-out sample (after `see-failover.mts`) is not in docs/getting-started.md';
      writeFileSync(join(dir, 'see-failover.mts'), page.slice(start + 6, end + 1));
      const npx = join(dirname(npmCli()), 'npx-cli.js');
      const result = await exec(this.toolchain.node, [npx, 'tsx', 'see-failover.mts'], {
        cwd: dir,
        env: this.env,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      if (result.code === 0 && result.stdout.includes('backlog after repair: 0')) return undefined;
      return (
        `npx tsx see-failover.mts ${describeEnd(result, RUN_TIMEOUT_MS)} in ${dir} (expected "backlog after repair: 0"):\n` +
        `${tail(result.stdout + result.stderr)}\n` +
        '  The page promises this command works in a default `npm init -y` project.'
      );
    });
  }

  /** Removes the projects of a lane that passed; a failed lane's stay for a look. */
  cleanup(): string[] {
    const failed = this.results.some((r) => !r.ok);
    if (!failed) for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    return failed ? this.dirs : [];
  }

  private newProject(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `failover-consumer-${name}-`));
    this.dirs.push(dir);
    return dir;
  }

  private async npm(
    dir: string,
    args: readonly string[],
    timeoutMs = INSTALL_TIMEOUT_MS,
  ): Promise<ExecResult> {
    return exec(this.toolchain.node, [npmCli(), ...args], { cwd: dir, env: this.env, timeoutMs });
  }

  private async check(name: string, body: () => Promise<string | undefined>): Promise<boolean> {
    const started = Date.now();
    let detail: string | undefined;
    try {
      detail = await body();
    } catch (err) {
      detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    }
    const result: CheckResult = {
      lane: this.lane.id,
      check: name,
      ok: detail === undefined,
      detail: detail ?? '',
      seconds: (Date.now() - started) / 1000,
    };
    this.results.push(result);
    const mark = result.ok ? 'ok' : 'FAILED';
    console.log(`[${this.lane.id}] ${name}: ${mark} (${result.seconds.toFixed(1)} s)`);
    if (!result.ok) console.log(result.detail);
    return result.ok;
  }

  /** `npm init -y` (a default CommonJS project), then one `npm install` of `specs`. */
  private install(dir: string, specs: readonly string[], name: string): Promise<boolean> {
    return this.check(name, async () => {
      const init = await this.npm(dir, ['init', '-y'], 60_000);
      if (init.code !== 0)
        return `npm init -y ${describeEnd(init, 60_000)}:\n${tail(init.stdout + init.stderr)}`;
      const result = await this.npm(dir, ['install', ...NPM_FLAGS, ...specs]);
      const output = result.stdout + result.stderr;
      if (result.code !== 0) {
        return (
          `npm install ${describeEnd(result, INSTALL_TIMEOUT_MS)} in ${dir}\n  specs: ${specs.join(' ')}\n${tail(output)}\n` +
          '  An ERESOLVE here means a peer range of a @failover package does not accept the SDK versions above.'
        );
      }
      const bad = output
        .split('\n')
        .filter((line) => /EBADENGINE|ERESOLVE|peer dep|conflicting peer/i.test(line));
      if (bad.length > 0) {
        return (
          `npm install warned about engines or peers (a user sees the same):\n${tail(bad.join('\n'))}\n` +
          '  EBADENGINE: a dependency does not declare this Node version (see docs/architecture.md, opossum).\n' +
          '  ERESOLVE / peer: a dependency wants other versions of the SDKs than those installed.'
        );
      }
      return undefined;
    });
  }

  private npmLsClean(dir: string): Promise<boolean> {
    return this.check('npm ls --all is clean', async () => {
      const result = await this.npm(dir, ['ls', '--all'], 120_000);
      if (result.code === 0) return undefined;
      const problems = (result.stdout + result.stderr)
        .split('\n')
        .filter((line) => /invalid|missing|extraneous|UNMET|ELSPROBLEMS|npm error/i.test(line));
      return (
        `npm ls --all ${describeEnd(result, 120_000)}: a user's \`npm ls\` fails the same way.\n${tail(problems.join('\n'))}\n` +
        '  "invalid" next to an SDK: a package was installed at a version its dependents do not accept\n' +
        '  (e.g. an SDK add-on newer than the SDK client the user keeps).'
      );
    });
  }

  private opossumPicked(dir: string): Promise<boolean> {
    const want = this.lane.opossumMajor;
    return this.check(
      `npm picked opossum ${want} for @failover/core on Node ${this.lane.nodeMajor}`,
      async () => {
        const pkg = join(dir, 'node_modules', 'opossum', 'package.json');
        const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
        if (Number(version.split('.')[0]) === want) return undefined;
        return (
          `opossum ${version} is installed; expected ${want}.x. @failover/core depends on "^9.0.0 || ^10.0.0"\n` +
          '  and relies on npm choosing, among the versions of the range, one whose engines accept the\n' +
          '  running Node (opossum 9: Node 20-24; opossum 10: Node 22-26). See docs/architecture.md.'
        );
      },
    );
  }

  private tsc(dir: string, project: string, name: string): Promise<boolean> {
    return this.check(name, async () => {
      const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await exec(this.toolchain.node, [tsc, '-p', project], {
        cwd: dir,
        env: this.env,
        timeoutMs: TSC_TIMEOUT_MS,
      });
      if (result.code === 0) return undefined;
      return (
        `tsc -p ${project} ${describeEnd(result, TSC_TIMEOUT_MS)} in ${dir}:\n${tail(result.stdout + result.stderr)}\n` +
        '  Errors inside node_modules/@failover/*/dist/*.d.ts are ours: the declarations a user compiles against.'
      );
    });
  }

  private runEntry(dir: string, file: string, what: string): Promise<boolean> {
    return this.check(`failover run: ${what}`, async () => {
      const result = await exec(this.toolchain.node, [file], {
        cwd: dir,
        env: this.env,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      const last = result.stdout.trim().split('\n').pop() ?? '';
      if (result.code === 0 && last.startsWith('{')) return undefined;
      return (
        `node ${file} (${this.toolchain.version}) ${describeEnd(result, RUN_TIMEOUT_MS)} in ${dir}:\n` +
        `${tail(result.stdout + result.stderr)}\n` +
        '  The scenario (tests/consumer/fixtures/app/scenario.cts) names the step that failed.'
      );
    });
  }

  /** A project with the S3 SDK only: the testkit's declarations must compile without the other SDKs. */
  private async s3Only(): Promise<void> {
    const dir = this.newProject(`${this.lane.id}-s3-only`);
    const ours = ['@failover/core', '@failover/storage', '@failover/s3', '@failover/testkit'].map((name) => {
      const tarball = this.tarballs.get(name);
      if (!tarball) throw new Error(`no tarball for ${name}`);
      return tarball;
    });
    const s3Peers = OLDEST_PEERS.filter((spec) => spec.startsWith('@aws-sdk/'));
    const specs = [...ours, ...s3Peers, TYPESCRIPT, `@types/node@${this.lane.nodeMajor}`];
    if (!(await this.install(dir, specs, 'S3-only project: npm install (no GCS or Azure SDK)'))) return;
    await this.check('S3-only project: no GCS or Azure SDK got installed', async () => {
      const result = await this.npm(dir, ['ls', '--all', '--parseable'], 120_000);
      const present = ['@google-cloud/storage', '@azure/storage-blob'].filter((name) =>
        result.stdout.split('\n').some((line) => line.endsWith(`/node_modules/${name}`)),
      );
      return present.length === 0
        ? undefined
        : `${present.join(' and ')} got installed anyway: the testkit must keep them optional peers`;
    });
    cpSync(join(this.fixtures, 'types-only'), dir, { recursive: true });
    await this.tsc(dir, 'tsconfig.json', 'S3-only project: tsc with the testkit types (skipLibCheck off)');
  }
}
