import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DemoReport, runDemo } from '../src/index.js';
import { type MetricsDocument, type SpansDocument, totalOf } from '../src/telemetry/documents.js';

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

it('exports the OpenTelemetry metrics and spans it recorded as JSON next to the HTML report, linked from it', async () => {
  const t = report.telemetry!;
  expect(t.metricsPath).toBe(join(dir, 'report.metrics.json'));
  expect(t.spansPath).toBe(join(dir, 'report.spans.json'));
  const metrics = JSON.parse(await readFile(t.metricsPath, 'utf8')) as MetricsDocument;
  expect(metrics.scopes).toEqual(['@failover/otel']);
  // Every failover the report counted, by router; the pricing client's away from us-east-1.
  expect(totalOf(metrics, 'failover.failovers', { 'failover.router': 'orders' })).toBe(
    report.failovers.storage,
  );
  expect(totalOf(metrics, 'failover.failovers', { 'failover.router': 'pricing-api' })).toBe(
    report.failovers.api,
  );
  expect(
    totalOf(metrics, 'failover.failovers', {
      'failover.router': 'pricing-api',
      'failover.from': 'aws-us-east-1',
    }),
  ).toBeGreaterThan(0);
  // AWS's breaker opened and closed again; it is closed at the end.
  for (const state of ['open', 'closed']) {
    expect(
      totalOf(metrics, 'failover.breaker.transitions', {
        'failover.router': 'orders',
        'failover.target': 'aws-us-east-1',
        'failover.breaker.state': state,
      }),
      state,
    ).toBeGreaterThan(0);
  }
  expect(
    totalOf(metrics, 'failover.breaker.state', {
      'failover.router': 'orders',
      'failover.target': 'aws-us-east-1',
      'failover.breaker.state': 'closed',
    }),
  ).toBe(1);
  // The journal and repair, as the report counts them.
  expect(totalOf(metrics, 'failover.storage.journaled', { 'failover.router': 'orders' })).toBe(
    report.writes.journaled,
  );
  expect(totalOf(metrics, 'failover.storage.repairs', { 'failover.router': 'orders' })).toBe(
    report.writes.repaired,
  );
  expect(totalOf(metrics, 'failover.storage.journal.backlog', { 'failover.router': 'orders' })).toBe(0);
  expect(
    totalOf(metrics, 'failover.attempt.duration', { 'failover.target': 'gcp-us-central1' }),
  ).toBeGreaterThan(0);

  const spans = JSON.parse(await readFile(t.spansPath, 'utf8')) as SpansDocument;
  expect(spans.spans).toBeGreaterThan(0);
  const calls = spans.groups.filter((g) => g.name === 'failover.call' && g.router === 'orders');
  expect(calls.reduce((n, g) => n + g.count, 0)).toBe(
    totalOf(metrics, 'failover.calls', { 'failover.router': 'orders' }),
  );
  // A call that failed over, whole: the call span, a failed attempt, one served by another cloud.
  // The API router has some in every run; the store's reads leave AWS after so few failed
  // attempts (its breaker opens, later reads skip it) that a run may have none (stop 21's CI run).
  const example =
    spans.examples.find((e) => e[0]?.attributes['failover.router'] === 'orders') ?? spans.examples[0]!;
  expect(example[0]).toMatchObject({ name: 'failover.call', attributes: { 'failover.outcome': 'success' } });
  const attempts = example.slice(1);
  expect(attempts.every((a) => a.name === 'failover.attempt')).toBe(true);
  expect(attempts.some((a) => a.status === 'error' && a.attributes['failover.outcome'] === 'failure')).toBe(
    true,
  );
  const served = example[0]!.attributes['failover.target'];
  expect(
    attempts.some(
      (a) => a.attributes['failover.target'] === served && a.attributes['failover.outcome'] === 'success',
    ),
  ).toBe(true);
  expect(JSON.stringify(spans)).not.toMatch(/orders\/o-|receipts\/|https?:\/\//); // no keys, no URLs

  const html = await readFile(report.htmlPath!, 'utf8');
  expect(html).toContain('<h2>OpenTelemetry</h2>');
  expect(html).toContain('<a href="report.metrics.json">');
  expect(html).toContain('<a href="report.spans.json">');
  expect(lines.join('')).toContain(`OpenTelemetry metrics: ${t.metricsPath}`);
});
