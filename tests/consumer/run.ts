// The consumer test: every package as a user installs it. Packs each package (`pnpm pack`), then,
// for each lane of lanes.ts (Node 20 with the oldest supported peer SDKs, Node 22 and 24 with the
// newest), makes a fresh `npm init -y` project in the OS temp dir, OUTSIDE the workspace, installs
// the tarballs with npm, checks that npm reported no engine or peer problem and that `npm ls --all`
// is clean, compiles TypeScript (nodenext, and node10 once), and runs a real failover across the
// local clouds of the packed testkit from ESM, CommonJS and compiled TypeScript.
//
// Run after `pnpm build` (the root `check` script does): `pnpm run test:consumer`. Set
// CONSUMER_LANES=node20-oldest,node24-newest to run some lanes only. npm's cache (and npx's, for
// the Node binaries) makes later runs mostly offline (`--prefer-offline`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckResult, LaneRun } from './lane-run.js';
import { LANES, type Lane } from './lanes.js';
import { checkTarball, packAll, rootRepository } from './pack.js';
import { nodeOf, type Toolchain } from './toolchain.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function main(): Promise<number> {
  const started = Date.now();
  const wanted = process.env.CONSUMER_LANES?.split(',').map((s) => s.trim());
  const lanes = LANES.filter((lane) => !wanted || wanted.includes(lane.id));
  const results: CheckResult[] = [];
  const kept: string[] = [];

  const packDir = mkdtempSync(join(tmpdir(), 'failover-consumer-tarballs-'));
  try {
    console.log(`consumer test: packing every package into ${packDir}`);
    const tarballs = await packAll(root, packDir);
    const repository = rootRepository(root);
    for (const [name, tarball] of tarballs) {
      const problems = await checkTarball(name, tarball, repository);
      results.push({
        lane: 'tarballs',
        check: name,
        ok: problems.length === 0,
        detail: problems.join('\n'),
        seconds: 0,
      });
      console.log(
        `[tarballs] ${name}: ${problems.length === 0 ? 'ok' : `FAILED\n  ${problems.join('\n  ')}`}`,
      );
    }

    // The lanes run at once: each is mostly npm waiting on the network and the disk, and each has
    // its own project, Node and servers on their own ports. Lines are prefixed with the lane's id.
    const runs = await Promise.all(lanes.map((lane) => runLane(lane, tarballs)));
    for (const run of runs) {
      results.push(...run.results);
      kept.push(...run.kept);
    }
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }

  const failed = results.filter((r) => !r.ok);
  const passed = results.length - failed.length;
  console.log(
    `\nconsumer test: ${((Date.now() - started) / 1000).toFixed(0)} s, lanes ${lanes.map((l) => l.id).join(', ')}`,
  );
  if (failed.length > 0) {
    console.log('failed checks:');
    for (const r of failed) console.log(`  [${r.lane}] ${r.check}`);
    if (kept.length > 0) console.log(`projects kept for a look: ${kept.join(' ')}`);
  }
  console.log(`consumer: ${passed} passed, ${failed.length} failed`);
  return failed.length === 0 ? 0 : 1;
}

async function runLane(
  lane: Lane,
  tarballs: Map<string, string>,
): Promise<{ results: CheckResult[]; kept: string[] }> {
  let toolchain: Toolchain;
  try {
    toolchain = await nodeOf(lane.nodeMajor);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    console.log(`[${lane.id}] Node ${lane.nodeMajor}: FAILED\n${detail}`);
    return {
      results: [{ lane: lane.id, check: `Node ${lane.nodeMajor} binary`, ok: false, detail, seconds: 0 }],
      kept: [],
    };
  }
  console.log(`[${lane.id}] Node ${toolchain.version} (${toolchain.node})`);
  const run = new LaneRun(
    lane,
    toolchain,
    tarballs,
    join(here, 'fixtures'),
    join(root, 'docs', 'getting-started.md'),
  );
  await run.run();
  return { results: run.results, kept: run.cleanup() };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('consumer test could not run:', err);
    process.exitCode = 1;
  },
);
