import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/journal/types.js';
import { type InheritingWrite, inheritWindows } from '../src/multi/inherited-windows.js';

/** Entry `v` of key `k`, acknowledged at `at`, lacking `missing`. */
function entry(
  version: string,
  at: number,
  missing: string[],
  more: Partial<JournalEntry> = {},
): JournalEntry {
  return { id: `${version}:k`, op: 'put', key: 'k', version, holders: ['gcs'], missing, at, ...more };
}

const NOW = 100_000;
const write: InheritingWrite = {
  id: 'v5:k',
  version: 'v5',
  now: NOW,
  settleMs: 10_000,
  ownEntry: (e) => e.version.endsWith('own'),
};

describe('inheritWindows: the windows a write inherits from older entries of its key written elsewhere', () => {
  const cases: [string, JournalEntry[], Record<string, number>][] = [
    ['nothing pending', [], {}],
    [
      'a recent acknowledged entry: its missing targets, until settleMs after it',
      [entry('v1', NOW - 1_000, ['aws'])],
      { aws: NOW + 9_000 },
    ],
    [
      'its notBefore when later',
      [entry('v1', NOW - 1_000, ['aws', 'azure'], { notBefore: NOW + 20_000 })],
      { aws: NOW + 20_000, azure: NOW + 20_000 },
    ],
    ['an entry older than the window: nothing', [entry('v1', NOW - 10_000, ['aws'])], {}],
    [
      'an old entry whose notBefore has not passed',
      [entry('v1', NOW - 60_000, ['aws'], { notBefore: NOW + 1 })],
      { aws: NOW + 1 },
    ],
    [
      'an intent (a write in flight elsewhere): nothing',
      [entry('v1', NOW - 1_000, ['aws'], { intent: true })],
      {},
    ],
    ['an entry of this run of this process: nothing', [entry('v1-own', NOW - 1_000, ['aws'])], {}],
    ['a newer entry: nothing', [entry('v9', NOW - 1_000, ['aws'])], {}],
    ['the write itself: nothing', [entry('v5', NOW - 1_000, ['aws'])], {}],
    [
      'a delete counts as a put does',
      [entry('v1', NOW - 1_000, ['gcs'], { op: 'delete', holders: [] })],
      { gcs: NOW + 9_000 },
    ],
    [
      'several: the latest window of each target',
      [
        entry('v1', NOW - 5_000, ['aws']),
        entry('v2', NOW - 1_000, ['aws', 'gcs']),
        entry('v3', NOW - 2_000, ['azure']),
      ],
      { aws: NOW + 9_000, gcs: NOW + 9_000, azure: NOW + 8_000 },
    ],
  ];
  it.each(cases)('%s', (_name, entries, expected) => {
    expect(Object.fromEntries(inheritWindows(entries, write))).toEqual(expected);
  });
});
