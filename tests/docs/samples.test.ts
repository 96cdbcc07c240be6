import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractSamples, type MarkdownSample } from './markdown-samples.js';
import { SHARED_PRELUDE } from './shared-prelude.js';
import {
  type SamplesCheck,
  type SamplesWorkspace,
  samplesWorkspace,
  typeCheckSamples,
} from './typecheck-samples.js';

/**
 * Every ```ts block of README.md and docs/*.md compiles against the packages' sources, so a sample
 * cannot drift from the API it documents. See markdown-samples.ts for the markers
 * (`sample-prelude`, `sample: skip`). `KEEP_DOC_SAMPLES=1` keeps the generated files in
 * tests/docs/.tmp/samples for inspection.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pages = [
  'README.md',
  // Each package's own README (what the registry shows) carries samples too.
  ...['core', 'storage', 's3', 'gcs', 'azure-blob', 'http', 'redis', 'testkit'].map(
    (p) => `packages/${p}/README.md`,
  ),
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const extracted = pages.map((page) => extractSamples(page, readFileSync(join(root, page), 'utf8')));
const samples: MarkdownSample[] = extracted.flatMap((r) => r.samples);
const problems = extracted.flatMap((r) => r.problems);

describe('documentation samples', () => {
  let workspace: SamplesWorkspace | undefined;
  let check: SamplesCheck;

  beforeAll(() => {
    workspace = samplesWorkspace(root, 'samples');
    check = typeCheckSamples(root, workspace, samples, SHARED_PRELUDE);
  }, 180_000);

  afterAll(() => {
    if (!process.env.KEEP_DOC_SAMPLES) workspace?.remove();
  });

  it('finds the samples of README.md and of the guides', () => {
    expect(samples.some((s) => s.file === 'README.md')).toBe(true);
    expect(new Set(samples.map((s) => s.file)).size).toBeGreaterThan(5);
  });

  it('has only well-formed sample markers', () => {
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
  });

  it('compiles the shared prelude without errors', () => {
    expect(check.general.map((d) => `${d.where}: ${d.message}`)).toEqual([]);
  });

  samples.forEach((sample, index) => {
    const name = `${sample.file}:${sample.line} type-checks`;
    if (sample.skip !== undefined) {
      it.skip(`${name} (skipped: ${sample.skip})`, () => {});
      return;
    }
    it(name, () => {
      const diagnostics = check.bySample.get(index) ?? [];
      expect(diagnostics.map((d) => `${d.where}: ${d.message}`)).toEqual([]);
    });
  });
});
