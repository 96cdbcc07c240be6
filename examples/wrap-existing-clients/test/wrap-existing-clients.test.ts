import { expect, it } from 'vitest';
import { main } from '../src/main.js';

it('wraps existing S3, GCS and Azure clients: reads and writes survive an AWS outage, repair brings AWS up to date', async () => {
  const lines: string[] = [];
  const r = await main((line) => lines.push(line));

  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.servedBy.before).toEqual(['aws', 'aws']);
  // During the outage every read was served by Google Cloud, after failing over from AWS.
  expect(r.servedBy.outage).toHaveLength(5);
  expect(r.servedBy.outage.every((t) => t === 'gcp')).toBe(true);
  expect(r.failovers).toBeGreaterThan(0);
  // Three puts and a delete that AWS missed, each journaled once.
  expect(r.journaled).toBe(4);
  expect(r.repair).toMatchObject({
    attempted: 4,
    repaired: 4,
    conflicts: 0,
    skipped: 0,
    failed: [],
    backlog: 0,
  });
  // AWS, read directly, holds every key as acknowledged (four objects, one delete), and serves again.
  expect(r.awsVerified).toBe(5);
  expect(r.servedBy.after).toEqual(['aws', 'aws', 'aws']);
  expect(lines.some((l) => l.includes('failover aws -> gcp (network)'))).toBe(true);
  expect(
    lines.some((l) => l.startsWith('    journaled put invoices/2026-004.json: on gcp, azure; for aws')),
  ).toBe(true);
  expect(lines.at(-1)).toMatch(/^OK: /);
});
