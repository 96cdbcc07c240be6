import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extractSamples } from './markdown-samples.js';
import { SHARED_PRELUDE } from './shared-prelude.js';
import { samplesWorkspace, typeCheckSamples } from './typecheck-samples.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fence = '```';

describe('extractSamples', () => {
  it('finds ts and typescript blocks with the line of their first code line', () => {
    const md = [
      '# Title', // 1
      '', // 2
      `${fence}ts`, // 3
      'const a = 1;', // 4
      fence, // 5
      `${fence}sh`, // 6
      'npm test', // 7
      fence, // 8
      `${fence}typescript title="x"`, // 9
      'const b = 2;', // 10
      'const c = 3;', // 11
      fence, // 12
    ].join('\n');
    const { samples, problems } = extractSamples('x.md', md);
    expect(problems).toEqual([]);
    expect(samples).toEqual([
      { file: 'x.md', line: 4, code: 'const a = 1;', prelude: '' },
      { file: 'x.md', line: 10, code: 'const b = 2;\nconst c = 3;', prelude: '' },
    ]);
  });

  it('attaches preludes (also multi-line, also after a blank line) and skips with reasons', () => {
    const md = [
      'Text.',
      '',
      '<!-- sample-prelude: declare const a: number; -->',
      '<!-- sample-prelude:',
      '  declare const b: string;',
      '-->',
      '',
      `${fence}ts`,
      'a + b;',
      fence,
      '<!-- sample: skip (pseudo-code) -->',
      `${fence}ts`,
      '{ a, b }',
      fence,
      '<!-- an ordinary comment -->',
      `${fence}ts`,
      'const c = 1;',
      fence,
    ].join('\n');
    const { samples, problems } = extractSamples('x.md', md);
    expect(problems).toEqual([]);
    expect(samples.map((s) => [s.line, s.prelude, s.skip])).toEqual([
      [9, 'declare const a: number;\ndeclare const b: string;', undefined],
      [13, '', 'pseudo-code'],
      [17, '', undefined],
    ]);
  });

  it('ignores markers and fences inside other code blocks', () => {
    const md = ['````md', '<!-- sample: bogus -->', `${fence}ts`, 'x', fence, '````'].join('\n');
    expect(extractSamples('x.md', md)).toEqual({ samples: [], problems: [] });
  });

  it('reports unknown markers, skips without a reason, and markers without a ts block', () => {
    const md = [
      '<!-- sample: skip -->', // 1
      `${fence}ts`,
      'x',
      fence,
      '<!-- sample-prelud: declare const a: 1; -->', // 5
      `${fence}ts`,
      'y',
      fence,
      '<!-- sample-prelude: declare const z: 1; -->', // 9
      'A paragraph.',
      `${fence}ts`,
      'z',
      fence,
      '<!-- sample: skip () -->', // 14
      `${fence}sh`,
      'ls',
      fence,
    ].join('\n');
    const { samples, problems } = extractSamples('x.md', md);
    expect(samples).toHaveLength(3);
    expect(samples.every((s) => s.skip === undefined && s.prelude === '')).toBe(true);
    expect(problems.map((p) => p.line)).toEqual([1, 5, 9, 14]);
    expect(problems[0]?.message).toMatch(/skip/);
    expect(problems[1]?.message).toMatch(/unknown sample marker/);
    expect(problems[2]?.message).toMatch(/not followed/);
  });
});

describe('typeCheckSamples', () => {
  const workspace = samplesWorkspace(root, 'self-test');
  afterAll(() => workspace.remove());

  it('reports a wrong API at its Markdown line, honours preludes and skips', () => {
    const md = [
      'Intro.', // 1
      '', // 2
      "<!-- sample-prelude: import { createFailover } from '@failover/core'; -->", // 3
      `${fence}ts`, // 4
      "const fo = createFailover({ targets: [{ name: 'a' }] });", // 5
      'fo.runTwice();', // 6: no such method
      fence, // 7
      '', // 8
      `${fence}ts`, // 9
      "import { createMemoryStore } from '@failover/storage';", // 10
      '', // 11
      "await createMemoryStore().put('k', 'v', { ifNoneMatch: 'etag' });", // 12: only '*' is allowed
      'log.info(String(placeholder));', // 13: log comes from the shared prelude
      fence, // 14
      '<!-- sample: skip (not code) -->', // 15
      `${fence}ts`,
      'this is not TypeScript',
      fence,
    ].join('\n');
    const { samples } = extractSamples('guide.md', md);
    const check = typeCheckSamples(root, workspace, samples, SHARED_PRELUDE);
    expect(check.general).toEqual([]);
    const first = check.bySample.get(0) ?? [];
    expect(first.map((d) => d.where)).toEqual(['guide.md:6']);
    expect(first[0]?.message).toMatch(/^TS2339: Property 'runTwice' does not exist/);
    const second = check.bySample.get(1) ?? [];
    expect(second.map((d) => d.where).sort()).toEqual(['guide.md:12', 'guide.md:13']);
    expect(second.find((d) => d.where === 'guide.md:13')?.message).toMatch(/'placeholder'/);
    expect(check.bySample.has(2)).toBe(false);
  });

  it('reports an error in a prelude at the prelude', () => {
    const md = ['<!-- sample-prelude: declare const a: NoSuchType; -->', `${fence}ts`, 'a;', fence].join(
      '\n',
    );
    const check = typeCheckSamples(root, workspace, extractSamples('p.md', md).samples, SHARED_PRELUDE);
    expect(check.bySample.get(0)?.map((d) => d.where)).toEqual(['p.md:2 (sample-prelude)']);
  });
});
