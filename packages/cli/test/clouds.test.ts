import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import {
  type BlobStore,
  createFileJournal,
  createMemoryJournal,
  createMultiCloudStore,
  type Journal,
  type MultiCloudStore,
} from '@failover/storage';
import {
  AZURITE_ACCOUNT_KEY,
  faults,
  type LocalCloudClients,
  type LocalClouds,
  startLocalClouds,
} from '@failover/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BinRun, jsonOf, runBin, runInProcess, withProcessEnv } from './run-bin.js';

/**
 * The `failover` command line against the three local clouds (s3rver, the GCS emulator, Azurite),
 * each behind a fault proxy, started once for the file. The config is
 * test/fixtures/failover.config.mjs, found in the working directory; it reads the proxies'
 * addresses from FAILOVER_TEST_* variables. No assertion depends on timing.
 *
 * Most runs call `runCli` in this process (the bin's code minus `process.exit`), which saves the
 * second or two each process spends loading the SDKs; a few run the real bin in its own process
 * (`failoverBin`), so that every exit code (0, 1, 2) is also seen as a process's exit status, and
 * the TypeScript config is loaded through tsx as a user's would be.
 */
const BUCKET = 'cli-bucket';
let clouds: LocalClouds;
let work: string;
let env: Record<string, string>;
const runs: BinRun[] = [];

/** The command line in this process; `AWS_*` variables also go to `process.env`, where the S3 SDK reads them. */
async function failover(args: string[], extraEnv: Record<string, string> = {}): Promise<BinRun> {
  const all = { ...env, ...extraEnv };
  const aws = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('AWS_')));
  const run = await withProcessEnv(aws, () => runInProcess(args, { env: all }));
  runs.push(run);
  return run;
}

/** The real bin, in its own Node process. */
async function failoverBin(args: string[], extraEnv: Record<string, string> = {}): Promise<BinRun> {
  const run = await runBin(args, { env: { ...env, ...extraEnv } });
  runs.push(run);
  return run;
}

/** One field of every target in a `status --json` run, with the target's name: `[name, value][]`. */
function perTarget(run: BinRun, field: 'reachable' | 'amnesia'): [string, unknown][] {
  return (jsonOf(run).targets as Record<string, unknown>[]).map((t) => [t.name as string, t[field]]);
}

/** Progress bars draw with carriage returns and ANSI codes: none may reach a pipe. */
function expectNoProgressBar(run: BinRun): void {
  expect(run.stderr).not.toContain('\r');
  expect(run.stderr).not.toContain('\u001b[');
  expect(run.stderr).not.toMatch(/(drill|repair|reconcile)\b.*\d+\/\d+/);
}

function stores(clients: LocalCloudClients): BlobStore[] {
  return [
    createS3Store({ client: clients.s3, bucket: BUCKET, name: 'aws', conditionalWrites: 'emulated' }),
    createGcsStore({ bucket: clients.gcs.bucket(BUCKET), name: 'gcp' }),
    createAzureBlobStore({ container: clients.azure.getContainerClient(BUCKET), name: 'azure' }),
  ];
}

/** An application's store over the proxied clients, repairing nothing by itself. */
function appStore(journal: Journal): MultiCloudStore {
  return createMultiCloudStore({
    targets: stores(clouds.app),
    writes: 'mirror',
    journal,
    failover: { attemptTimeoutMs: 5_000, retry: { maxAttempts: 1 } },
    repair: { onRecovery: false, intervalMs: false, delayMs: false },
  });
}

beforeAll(async () => {
  clouds = await startLocalClouds({ buckets: [BUCKET], hostnames: { aws: false, gcp: false, azure: false } });
  work = await mkdtemp(join(tmpdir(), 'failover-cli-'));
  env = {
    FAILOVER_TEST_BUCKET: BUCKET,
    FAILOVER_TEST_S3_ENDPOINT: clouds.proxies.aws.url,
    FAILOVER_TEST_GCS_ENDPOINT: clouds.proxies.gcp.url,
    FAILOVER_TEST_AZURE_CONNECTION: clouds.azure.connectionStringFor(clouds.proxies.azure.url),
    FAILOVER_TEST_JOURNAL_DIR: join(work, 'journal'),
    // s3rver's access key; the SDK finds it in the environment, as in production.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
}, 120_000);

afterEach(async () => {
  for (const proxy of Object.values(clouds.proxies)) await proxy.setFault(faults.pass());
});

afterAll(async () => {
  await clouds?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('failover against the local clouds', { timeout: 120_000 }, () => {
  it('doctor: every check passes on the three clouds (exit 0), as text and as JSON', async () => {
    const run = await failoverBin(['doctor', '--json']);
    expect(run.code).toBe(0);
    const doc = jsonOf(run);
    expect(doc).toMatchObject({ schema: 1, command: 'doctor', ok: true, exitCode: 0, problems: [] });
    const checks = doc.checks as { target: string | null; check: string; status: string }[];
    for (const target of ['aws', 'gcp', 'azure']) {
      expect(checks.filter((c) => c.target === target).map((c) => [c.check, c.status])).toEqual([
        ['reachable', 'ok'],
        ['bucket', 'ok'],
        ['credentials', 'ok'],
        ['clock', 'ok'],
      ]);
    }
    const versions = checks.filter((c) => c.check === 'versions');
    expect(versions.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(versions.map((c) => (c as unknown as { message: string }).message).join('\n')).toMatch(
      /@aws-sdk\/client-s3 3\.\d+\.\d+[\s\S]*@google-cloud\/storage 7\.[\s\S]*@azure\/storage-blob 12\./,
    );

    const text = await failover(['doctor']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ok   aws reachable: answered in');
    expect(text.stdout).toContain('ok   azure credentials: credentials can list, write, read and delete');
    expect(text.stdout.trim().split('\n').at(-1)).toBe('OK: no problems found.');
  });

  it('status: every target reachable, nothing pending (exit 0)', async () => {
    const run = await failover(['status', '--json']);
    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({
      command: 'status',
      ok: true,
      store: { name: 'multi(aws,gcp,azure)', writes: 'mirror' },
      targets: [
        { name: 'aws', reachable: true, error: null, breaker: 'closed', behind: 0 },
        { name: 'gcp', reachable: true, error: null, breaker: 'closed', behind: 0 },
        { name: 'azure', reachable: true, error: null, breaker: 'closed', behind: 0 },
      ],
      journal: { backlog: 0, pendingKeys: 0, error: null },
    });
  });

  it('drill --sample 2: two canaries on every cloud pass (exit 0)', async () => {
    const run = await failover(['drill', '--sample', '2', '--json']);
    expect(run.code).toBe(0);
    const doc = jsonOf(run);
    expect(doc).toMatchObject({ command: 'drill', ok: true, sample: 2 });
    expect(doc.targets).toEqual(
      ['aws', 'gcp', 'azure'].map((target) =>
        expect.objectContaining({ target, runs: 2, passed: 2, failed: 0, errors: [] }),
      ),
    );
    expectNoProgressBar(run); // stderr is a pipe, not a terminal
  });

  it('a target down: doctor, status and drill name it in one line and exit 1', async () => {
    await clouds.proxies.azure.setFault(faults.refuse());

    const doctor = await failover(['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const doc = jsonOf(doctor);
    expect(doc).toMatchObject({ ok: false, exitCode: 1 });
    // Refused; or reset, when another process of a busy machine bound the port the proxy gave up.
    expect(doc.problems).toEqual([
      expect.stringMatching(/^azure: unreachable \(network\): .*(ECONNREFUSED|ECONNRESET)/),
    ]);
    const azure = (doc.checks as { target: string; check: string; status: string }[]).filter(
      (c) => c.target === 'azure',
    );
    expect(azure.map((c) => c.status)).toEqual(['problem', 'skipped', 'skipped', 'skipped']);

    const status = await failover(['status', '--json']);
    expect(status.code).toBe(1);
    const s = jsonOf(status);
    expect(perTarget(status, 'reachable')).toEqual([
      ['aws', true],
      ['gcp', true],
      ['azure', false],
    ]);
    expect(s.problems).toEqual([expect.stringMatching(/^azure: unreachable \(network\)/)]);

    const text = await failover(['status']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('DOWN azure: not reachable');
    expect(text.stdout).toMatch(/1 problem:\n {2}- azure: unreachable \(network\)/);

    const drill = await failover(['drill', '--json']);
    expect(drill.code).toBe(1);
    expect(jsonOf(drill).problems).toEqual([
      expect.stringMatching(/^azure: drill failed 1\/1 at put: network: /),
    ]);
  });

  it('doctor: a missing container is a bucket problem, not an outage (exit 1)', async () => {
    const run = await failover(['doctor', '--json'], { FAILOVER_TEST_AZURE_CONTAINER: 'no-such-container' });
    expect(run.code).toBe(1);
    const doc = jsonOf(run);
    expect(doc.problems).toEqual([
      expect.stringMatching(/^azure: bucket or container not found \(not_found\)/),
    ]);
    const azure = (doc.checks as { target: string; check: string; status: string }[]).filter(
      (c) => c.target === 'azure',
    );
    expect(azure.map((c) => [c.check, c.status])).toEqual([
      ['reachable', 'ok'],
      ['bucket', 'problem'],
      ['credentials', 'skipped'],
      ['clock', 'skipped'],
    ]);
  });

  it('doctor: credentials the cloud refuses are named as such (exit 1)', async () => {
    const run = await failover(['doctor', '--json'], { AWS_ACCESS_KEY_ID: 'NOT-S3RVER' }); // s3rver: 403
    expect(run.code).toBe(1);
    const doc = jsonOf(run);
    expect(doc.problems).toEqual([expect.stringMatching(/^aws: cannot list: credentials refused \(auth\)/)]);
    const aws = (doc.checks as { target: string; check: string; status: string }[]).filter(
      (c) => c.target === 'aws',
    );
    expect(aws.map((c) => [c.check, c.status])).toEqual([
      ['reachable', 'ok'],
      ['bucket', 'skipped'],
      ['credentials', 'problem'],
      ['clock', 'skipped'],
    ]);
  });

  it('repair: exit 1 while the target lacking writes is down, exit 0 once they are copied', async () => {
    // The application writes while Azure refuses connections: the writes are journaled for Azure.
    await clouds.proxies.azure.setFault(faults.refuse());
    const app = appStore(createFileJournal({ dir: env.FAILOVER_TEST_JOURNAL_DIR as string }));
    await app.put('orders/1.json', '{"id":1}');
    await app.put('orders/2.json', '{"id":2}');
    expect(app.status().journal.backlog).toBe(2);
    await app.close(); // releases the journal's lock for the CLI

    const status = await failover(['status', '--json']);
    expect(jsonOf(status)).toMatchObject({
      journal: { backlog: 2, pendingKeys: 2 },
      targets: [{ behind: 0 }, { behind: 0 }, { name: 'azure', behind: 2, reachable: false }],
    });

    const down = await failoverBin(['repair', '--json']);
    expect(down.code).toBe(1);
    const failed = jsonOf(down);
    expect(failed).toMatchObject({ command: 'repair', ok: false, repaired: 0, backlog: 2 });
    expect(failed.problems).toContain('journal backlog: 2 copies still pending');

    await clouds.proxies.azure.setFault(faults.pass());
    const up = await failover(['repair', '--json']);
    expect(up.code).toBe(0);
    expect(jsonOf(up)).toMatchObject({
      ok: true,
      attempted: 2,
      repaired: 2,
      failed: [],
      skipped: 0,
      backlog: 0,
    });
    expectNoProgressBar(up);
    const azure = clouds.direct.azure.getContainerClient(BUCKET);
    expect(await azure.getBlobClient('orders/1.json').exists()).toBe(true);
    expect(await azure.getBlobClient('orders/2.json').exists()).toBe(true);

    const again = await failover(['repair']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('repair: 0 pending, 0 repaired');
  });

  it('a journal held by the running application: status says so (exit 0), repair fails (exit 1)', async () => {
    const held = createFileJournal({ dir: env.FAILOVER_TEST_JOURNAL_DIR as string });
    await held.open(); // this process now holds the lock, as a running application would
    try {
      const status = await failover(['status', '--json']);
      expect(status.code).toBe(0);
      expect(jsonOf(status)).toMatchObject({ journal: { locked: true, error: { kind: 'precondition' } } });
      const text = await failover(['status']);
      expect(text.stdout).toContain('journal: held by another process');

      const repair = await failover(['repair', '--json']);
      expect(repair.code).toBe(1);
      expect(jsonOf(repair)).toMatchObject({ exitCode: 1, error: { kind: 'failed' } });
      expect((jsonOf(repair).error as { message: string }).message).toContain('locked');
    } finally {
      await held.close();
    }
  });

  it('reconcile: a dry run finds a deleted copy (exit 1), reconcile copies it (exit 0), then all agree', async () => {
    const app = appStore(createMemoryJournal());
    for (const n of [1, 2, 3]) await app.put(`reports/${n}.csv`, `month,total\n${n},${n * 100}\n`);
    await app.close();
    await clouds.direct.gcs.bucket(BUCKET).file('reports/2.csv').delete(); // behind the store's back

    const plan = await failover(['reconcile', '--prefix', 'reports/', '--dry-run', '--json']);
    expect(plan.code).toBe(1);
    expect(jsonOf(plan)).toMatchObject({
      command: 'reconcile',
      prefix: 'reports/',
      dryRun: true,
      checked: 3,
      inSync: 2,
      copied: 0,
      errors: [],
      skippedTargets: [],
      changes: [{ key: 'reports/2.csv', action: 'copy', from: 'aws', targets: ['gcp'] }],
      problems: ['1 keys diverge: run without --dry-run to fix them'],
    });

    const text = await failover(['reconcile', '--prefix', 'reports/', '--dry-run']);
    expect(text.stdout).toContain('would copy reports/2.csv from aws to gcp');

    const fix = await failover(['reconcile', '--prefix', 'reports/', '--json']);
    expect(fix.code).toBe(0);
    expect(jsonOf(fix)).toMatchObject({ dryRun: false, checked: 3, copied: 1, errors: [] });
    expectNoProgressBar(fix);
    const [exists] = await clouds.direct.gcs.bucket(BUCKET).file('reports/2.csv').exists();
    expect(exists).toBe(true);

    const after = await failover(['reconcile', '--prefix', 'reports/', '--dry-run', '--json']);
    expect(after.code).toBe(0);
    expect(jsonOf(after)).toMatchObject({ checked: 3, inSync: 3, changes: [], problems: [] });
  });

  it('reconcile with a cloud down: the target is skipped and named, exit 1', async () => {
    await clouds.proxies.gcp.setFault(faults.refuse());
    const run = await failover(['reconcile', '--prefix', 'reports/', '--json']);
    expect(run.code).toBe(1);
    const doc = jsonOf(run);
    expect(doc.skippedTargets).toEqual(['gcp']);
    expect(doc.problems).toContain('gcp: skipped: down, or its listing failed');
  });

  it('a failing config exits 2 and never prints the credential in its message', async () => {
    const run = await failoverBin(['status', '--config', 'throws.config.mjs', '--json']);
    expect(run.code).toBe(2);
    const doc = jsonOf(run);
    expect(doc).toMatchObject({ ok: false, exitCode: 2, error: { kind: 'config' } });
    expect((doc.error as { message: string }).message).toContain('AccountKey=[redacted]');
    expect(run.stderr).toContain('config error');
  });

  it('a JSON config builds the same targets from settings and the environment', async () => {
    const config = {
      writes: 'mirror',
      journal: { memory: true },
      failover: { attemptTimeoutMs: 5000 },
      targets: [
        {
          name: 'aws',
          s3: {
            bucket: BUCKET,
            conditionalWrites: 'emulated',
            client: {
              region: 'us-east-1',
              endpoint: clouds.proxies.aws.url,
              forcePathStyle: true,
              maxAttempts: 1,
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            },
          },
        },
        {
          name: 'gcp',
          gcs: { bucket: BUCKET, client: { apiEndpoint: clouds.proxies.gcp.url, projectId: 'test' } },
        },
        {
          name: 'azure',
          azureBlob: { container: BUCKET, connectionStringEnv: 'FAILOVER_TEST_AZURE_CONNECTION' },
        },
      ],
    };
    const path = join(work, 'failover.config.json');
    await writeFile(path, JSON.stringify(config, null, 2));
    const run = await failover(['status', '--json', '--config', path]);
    expect(run.code).toBe(0);
    expect(perTarget(run, 'reachable')).toEqual([
      ['aws', true],
      ['gcp', true],
      ['azure', true],
    ]);

    const noEnv = await failover(['status', '--json', '--config', path], {
      FAILOVER_TEST_AZURE_CONNECTION: '',
    });
    expect(noEnv.code).toBe(2);
    expect((jsonOf(noEnv).error as { message: string }).message).toContain(
      'targets[2].azureBlob.connectionStringEnv: the environment variable FAILOVER_TEST_AZURE_CONNECTION is not set',
    );
  });

  it('a TypeScript config (through tsx) works the same way', async () => {
    const run = await failoverBin(['status', '--json', '--config', 'typed.config.ts']);
    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({
      store: { name: 'multi(aws,gcp)', writes: { quorum: 2, minimum: 1 } },
      targets: [
        { name: 'aws', reachable: true },
        { name: 'gcp', reachable: true },
      ],
    });
  });

  it('a cloud that lost its data: status names it and restores nothing (exit 1); repair restores it', async () => {
    const app = appStore(createMemoryJournal());
    for (const n of [1, 2]) await app.put(`lost/${n}.txt`, `n${n}`);
    await app.close();
    // S3 loses everything behind the store's back (a recreated bucket): its epoch marker too.
    const aws = stores(clouds.direct)[0]!;
    const keys: string[] = [];
    for await (const e of aws.list()) if ('key' in e) keys.push(e.key);
    expect(keys).toContain('_failover/epoch');
    for (const key of keys) await aws.delete(key);

    const status = await failover(['status', '--json']);
    expect(status.code).toBe(1);
    expect(perTarget(status, 'amnesia')).toEqual([
      ['aws', true],
      ['gcp', false],
      ['azure', false],
    ]);
    expect(jsonOf(status).problems).toEqual([
      expect.stringMatching(/^aws: lost its data .*failover repair restores it/),
    ]);
    const text = await failover(['status']);
    expect(text.stdout).toContain('LOST aws: reachable in');
    // Nothing was written back by status: the CLI's store repairs nothing by itself.
    expect(await aws.head('lost/1.txt')).toBeNull();
    expect(await aws.head('_failover/epoch')).toBeNull();

    const repair = await failover(['repair', '--json']);
    expect(repair.code).toBe(0);
    for (const n of [1, 2]) expect((await aws.head(`lost/${n}.txt`))?.size).toBe(2);
    expect(await aws.head('_failover/epoch')).not.toBeNull();
    const after = await failover(['status', '--json']);
    expect(after.code).toBe(0);
    expect((jsonOf(after).targets as { amnesia: boolean }[]).map((t) => t.amnesia)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('no output of any run above carried the account key', () => {
    expect(runs.length).toBeGreaterThan(25);
    for (const run of runs) {
      expect(run.stdout).not.toContain(AZURITE_ACCOUNT_KEY);
      expect(run.stderr).not.toContain(AZURITE_ACCOUNT_KEY);
    }
  });
});
