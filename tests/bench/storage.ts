import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, type StorageCase, type StorageRun, storageCases } from './storage-cases.js';
import { printStorageTables } from './storage-report.js';

/**
 * The multi-cloud storage benchmark (`node --import tsx bench/index.ts storage`): every case runs
 * in its own fresh Node process, which starts its own s3rver, GCS emulator and Azurite behind
 * fault proxies and stops them before it exits. Cases are interleaved over
 * `BENCH_STORAGE_ROUNDS` rounds (default 1); samples are pooled over rounds.
 */
const ROUNDS = Number(process.env.BENCH_STORAGE_ROUNDS ?? 1);
/** A case that has not finished after this long is killed and reported as failed. */
const CASE_TIMEOUT_MS = Number(process.env.BENCH_CASE_TIMEOUT_MS ?? 15 * 60_000);
const CHILD = fileURLToPath(new URL('./storage-child.ts', import.meta.url));

/** Each case's results over the rounds, or why it failed. */
export interface CaseOutcome {
  readonly case: StorageCase;
  readonly runs: StorageRun[];
  readonly failures: string[];
}

/**
 * Runs every storage case (`only`: those whose id starts with it, or with one of several
 * comma-separated prefixes; a prefix ending in `$` is an exact id) and prints the tables.
 */
export async function runStorageBench(only?: string): Promise<void> {
  const prefixes = only?.split(',');
  const cases = storageCases.filter(
    (c) =>
      prefixes === undefined ||
      prefixes.some((p) => (p.endsWith('$') ? c.id === p.slice(0, -1) : c.id.startsWith(p))),
  );
  if (cases.length === 0) throw new Error(`no storage bench case starts with ${JSON.stringify(only)}`);
  const outcomes = new Map<string, CaseOutcome>(
    cases.map((c) => [c.id, { case: c, runs: [], failures: [] }]),
  );
  const total = cases.reduce((n, c) => n + (c.runs ?? 1), 0) * ROUNDS;
  let done = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases.flatMap((x) => Array.from({ length: x.runs ?? 1 }, () => x))) {
      const outcome = outcomes.get(c.id)!;
      const started = Date.now();
      process.stderr.write(`storage bench [${++done}/${total}] ${c.id} ... `);
      try {
        outcome.runs.push(await runInChild(c.id));
        process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        outcome.failures.push(message);
        process.stderr.write(`FAILED: ${message}\n`);
      }
    }
  }
  printStorageTables([...outcomes.values()], ROUNDS);
  if ([...outcomes.values()].some((o) => o.failures.length > 0)) process.exitCode = 1;
}

/** Runs one case in a fresh Node process (same flags as this one) and parses its result line. */
function runInChild(id: string): Promise<StorageRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, id], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The AWS SDK warns once per process that its 2027 releases need Node 22: noise here.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${CASE_TIMEOUT_MS} ms`));
    }, CASE_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`the child exited with ${signal ?? code} and ${line ? 'a' : 'no'} result`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as StorageRun);
    });
  });
}
