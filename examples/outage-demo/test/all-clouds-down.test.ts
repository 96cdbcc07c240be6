import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DemoReport, runDemo } from '../src/index.js';

let dir: string;
let report: DemoReport;
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outage-demo-test-'));
  report = await runDemo({
    scenario: 'all-clouds-down',
    durationSec: 15,
    seed: 3,
    live: false,
    reportPath: join(dir, 'report.html'),
    out: { write: (text) => void lines.push(text) },
  });
}, 90_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('the application sees errors only while no cloud can serve, and the run still passes', () => {
  expect(report.appErrors.total).toBeGreaterThan(0);
  expect(report.appErrors.outside).toEqual([]); // shows them when there are some
  expect(report.appErrors.outsideAllowedPhases).toBe(0);
  expect(report.appErrors.byPhase['all-down']).toBeGreaterThan(0);
  expect(report.appErrors.byPhase.normal).toBeUndefined();
  // An operation that began while nothing could serve may fail after the recovery (on a loaded
  // machine, seconds later); one that began once a cloud could serve again (after the grace) must
  // not: that is outsideAllowedPhases, above (see test/app-errors.test.ts for the rule).
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.ok).toBe(true);
  const text = lines.join('');
  expect(text).toContain('What the application saw');
  expect(text).toContain('every write the application was told had succeeded is on all three clouds');
});

it('loses nothing acknowledged: every acknowledged write is on all three clouds after repair', () => {
  const v = report.verification;
  expect(report.writes.unacknowledged).toBeGreaterThan(0);
  expect(report.writes.acknowledged).toBeGreaterThan(0);
  expect(report.lost).toBe(0);
  expect(report.writes.backlogAtEnd).toBe(0);
  expect(report.writes.repaired).toBeGreaterThan(0);
  expect(v.ok).toBe(true);
  for (const c of v.clouds) {
    // Every settled key verified; keys whose last write failed may hold either state.
    expect(c.verified).toBeGreaterThanOrEqual(v.liveKeys);
    expect(c.missing).toEqual([]);
    expect(c.mismatched).toEqual([]);
    expect(c.resurrected).toEqual([]);
  }
});

it('accounts for the errors in the HTML report', async () => {
  const html = await readFile(report.htmlPath!, 'utf8');
  expect(html).toContain('<h2>What the application saw</h2>');
  expect(html).toContain('Every write it was told had succeeded is present');
});
