import { expect, it } from 'vitest';
import { main } from '../src/main.js';

it('drills every cloud, then reconcile repairs copies changed behind the store and every cloud ends identical', async () => {
  const lines: string[] = [];
  const r = await main((line) => lines.push(line));

  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  // The drill passes every step on every cloud...
  expect(r.drill.ok).toBe(true);
  expect(r.drill.targets.map((t) => t.target)).toEqual(['aws', 'gcp', 'azure']);
  for (const t of r.drill.targets)
    expect(Object.keys(t.stepsMs)).toEqual(['put', 'get', 'verify', 'head', 'delete']);
  // ...and names the cloud and the step that failed while Azure refused connections.
  expect(r.drillAzureDown.ok).toBe(false);
  const azure = r.drillAzureDown.targets.find((t) => t.target === 'azure');
  expect(azure?.error).toMatchObject({ step: 'put', kind: 'network' });
  expect(r.drillAzureDown.targets.filter((t) => t.ok).map((t) => t.target)).toEqual(['aws', 'gcp']);

  // The overwritten (GCS) and deleted (Azure) copies were found; the dry run changed nothing.
  expect(r.divergent).toEqual(['monthly/2026-03.csv', 'monthly/2026-05.csv']);
  expect(r.plan).toMatchObject({ dryRun: true, checked: 6, inSync: 4, copied: 0, errors: [] });
  expect(r.plan.changes).toEqual([
    expect.objectContaining({ key: 'monthly/2026-03.csv', action: 'copy', from: 'aws', targets: ['gcp'] }),
    expect.objectContaining({ key: 'monthly/2026-05.csv', action: 'copy', from: 'aws', targets: ['azure'] }),
  ]);
  // Reconcile made exactly those changes, and every cloud now holds identical bytes and versions.
  expect(r.report).toMatchObject({
    dryRun: false,
    checked: 6,
    copied: 2,
    conflicts: 0,
    errors: [],
    skippedTargets: [],
  });
  expect(r.report.changes).toEqual(r.plan.changes);
  expect(r.final).toHaveLength(6);
  expect(r.final.every((k) => k.identical)).toBe(true);
  expect(r.identical).toBe(true);
  expect(lines.at(-1)).toBe('OK: 6 keys, identical on aws, gcp, azure.');
});
