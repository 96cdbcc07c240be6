import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `pnpm docs` (TypeDoc with the repository's typedoc.json) generates the API reference of every
 * package without a warning. The test runs the same CLI with the same configuration, writing to a
 * temporary directory and with warnings not fatal, so that one warning fails only the "no warnings"
 * test (listing it) while the others still check what the reference documents.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const typedocBin = join(
  dirname(createRequire(import.meta.url).resolve('typedoc/package.json')),
  'bin',
  'typedoc',
);

interface JsonReflection {
  name: string;
  kind: number;
  children?: JsonReflection[];
  documents?: JsonReflection[];
}

interface Run {
  code: number | null;
  output: string;
}

function runTypedoc(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [typedocBin, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const MODULE_KIND = 2; // TypeDoc's ReflectionKind.Module

/**
 * The names a module exports, from TypeDoc's JSON output. A package with several entry points
 * (the testkit) is a module holding one module per entry point: `index` and `contract`.
 */
function exportsOf(project: JsonReflection | undefined, moduleName: string): string[] {
  const [, pkg, entry] = /^(@failover\/[^/]+)(?:\/(.+))?$/.exec(moduleName) ?? [];
  const module = project?.children?.find((c) => c.name === pkg);
  const inner = module?.children?.find((c) => c.kind === MODULE_KIND && c.name === (entry ?? 'index'));
  return ((entry ? inner : (inner ?? module))?.children ?? []).map((c) => c.name);
}

describe('API reference (pnpm docs)', () => {
  const out = mkdtempSync(join(tmpdir(), 'failover-typedoc-'));
  let run: Run;
  let project: JsonReflection;

  beforeAll(async () => {
    run = await runTypedoc([
      '--treatWarningsAsErrors',
      'false',
      '--out',
      join(out, 'html'),
      '--json',
      join(out, 'api.json'),
    ]);
    if (existsSync(join(out, 'api.json'))) {
      project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as JsonReflection;
    }
  }, 300_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs without errors or warnings', () => {
    // A warning's details (TypeDoc's "You may have meant: ...") follow it on indented lines.
    const problems: string[] = [];
    let inProblem = false;
    for (const line of run.output.split('\n')) {
      inProblem = /\[(warning|error)\]/.test(line) || (inProblem && /^\s+\S/.test(line));
      if (inProblem) problems.push(line);
    }
    expect(problems).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('makes pnpm docs fail on any warning', () => {
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.out).toBe('docs/api');
  });

  it('documents every package, the contract entry point and the guides', () => {
    const modules = (project?.children ?? []).map((c) => c.name);
    expect(modules).toEqual(
      expect.arrayContaining([
        '@failover/core',
        '@failover/storage',
        '@failover/s3',
        '@failover/gcs',
        '@failover/azure-blob',
        '@failover/http',
        '@failover/otel',
        '@failover/testkit',
      ]),
    );
    const testkit = project?.children?.find((c) => c.name === '@failover/testkit');
    expect(testkit?.children?.map((c) => c.name)).toEqual(expect.arrayContaining(['contract']));
    const guides = (project?.documents ?? []).map((d) => d.name);
    expect(guides.length).toBeGreaterThan(5);
  });

  it.each([
    [
      '@failover/core',
      ['createFailover', 'wrap', 'classifyFailure', 'AllTargetsFailedError', 'FailoverOptions'],
    ],
    [
      '@failover/storage',
      ['createMultiCloudStore', 'MultiCloudStore', 'createFileJournal', 'createMemoryStore', 'BlobStore'],
    ],
    ['@failover/s3', ['createS3Store', 'S3StoreOptions']],
    ['@failover/gcs', ['createGcsStore', 'GcsStoreOptions']],
    ['@failover/azure-blob', ['createAzureBlobStore', 'AzureBlobStoreOptions']],
    ['@failover/http', ['withFailover', 'createFailoverAxios', 'HttpFailoverOptions']],
    ['@failover/otel', ['instrument', 'createCallObserver', 'InstrumentOptions', 'METRICS']],
    [
      '@failover/testkit',
      ['createFaultProxy', 'faults', 'startS3Server', 'startGcsServer', 'startAzureServer'],
    ],
    ['@failover/testkit/contract', ['blobStoreContract']],
  ])('%s documents %j', (moduleName, names) => {
    expect(exportsOf(project, moduleName)).toEqual(expect.arrayContaining(names));
  });

  it('writes the HTML site with the README as its landing page', () => {
    const index = readFileSync(join(out, 'html', 'index.html'), 'utf8');
    expect(index).toContain('Keep your application working when a cloud fails');
    expect(existsSync(join(out, 'html', 'functions', '_failover_core.createFailover.html'))).toBe(true);
    expect(existsSync(join(out, 'html', 'functions', '_failover_storage.createMultiCloudStore.html'))).toBe(
      true,
    );
  });
});
