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
    durationSec: 15,
    seed: 7,
    live: false,
    reportPath: join(dir, 'report.html'),
    out: { write: (text) => void lines.push(text) },
  });
}, 90_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('the default scenario (us-east-1 2025) passes every check with zero errors seen by the application', () => {
  expect(report.scenario).toBe('us-east-1-2025');
  expect(report.appErrors.total).toBe(0);
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.ok).toBe(true);
  expect(lines.join('')).toContain('PASS: the application survived the outage.');
});

it('fails over while AWS is down and comes back after recovery', () => {
  expect(report.failovers.storage).toBeGreaterThan(0);
  expect(report.failovers.api).toBeGreaterThan(0);
  expect(report.failovers.breakerOpens).toBeGreaterThan(0);
  expect(report.timeToFailoverMs).toBeDefined();
  expect(report.timeToFailBackMs).toBeDefined();
  // Other clouds and regions served while AWS was down; AWS served before and after.
  expect(report.operations.servedByTarget['gcp-us-central1']).toBeGreaterThan(0);
  expect(report.operations.servedByTarget['aws-us-east-1']).toBeGreaterThan(0);
  expect(report.operations.servedByRegion['aws-us-west-2']).toBeGreaterThan(0);
});

it('journals the outage writes and repairs them until no cloud lacks anything', () => {
  expect(report.writes.journaled).toBeGreaterThan(0);
  expect(report.writes.repaired).toBeGreaterThan(0);
  expect(report.writes.backlogAtEnd).toBe(0);
  expect(report.writes.unacknowledged).toBe(0);
});

it('verifies every object byte for byte on all three clouds, with deleted keys absent everywhere', () => {
  const v = report.verification;
  expect(report.lost).toBe(0);
  expect(v.ok).toBe(true);
  expect(v.clouds.map((c) => c.target)).toEqual(['aws-us-east-1', 'gcp-us-central1', 'azure-eastus']);
  expect(v.liveKeys).toBeGreaterThan(0);
  expect(v.deletedKeys).toBeGreaterThan(0);
  for (const c of v.clouds) {
    expect(c.verified).toBe(v.liveKeys);
    expect(c.stampedSha256).toBe(v.liveKeys);
    expect(c.deletedAbsent).toBe(v.deletedKeys);
    expect([...c.missing, ...c.mismatched, ...c.resurrected, ...c.unexpected, ...c.unreadable]).toEqual([]);
  }
});

it('writes a self-contained HTML report with a chart per cloud and the verification table', async () => {
  expect(report.htmlPath).toBe(join(dir, 'report.html'));
  const html = await readFile(report.htmlPath!, 'utf8');
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toContain('<b>PASS</b>');
  for (const label of ['AWS S3 us-east-1', 'GCS us-central1', 'Azure Blob eastus', 'pricing aws-us-west-2']) {
    expect(html).toContain(label);
  }
  expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(8);
  expect(html).toContain('<h2>Verification</h2>');
  // No external assets: nothing is fetched from anywhere.
  expect(html).not.toMatch(/<(script|link|img)\b/);
  expect(html).not.toMatch(/(src|href)="http/);
});
