import { describe, expect, it } from 'vitest';
import {
  batchLength,
  type CompactionFacts,
  nextWriterStep,
  planOpenRepair,
  type QueuedTask,
  shouldCompact,
  type WriterFacts,
  type WriterStep,
} from '../src/journal/file-decide.js';

describe('planOpenRepair', () => {
  it.each([
    ['a new file: a header, nothing to cut', { size: 0, end: 0 }, { cutBytes: 0, writeHeader: true }],
    ['whole lines only', { size: 120, end: 120 }, { cutBytes: 0, writeHeader: false }],
    ['a torn last line after whole ones', { size: 130, end: 120 }, { cutBytes: 10, writeHeader: false }],
    ['only a torn line: cut, then a header', { size: 17, end: 0 }, { cutBytes: 17, writeHeader: true }],
  ])('%s', (_name, scan, expected) => {
    expect(planOpenRepair(scan)).toEqual(expected);
  });
});

describe('batchLength', () => {
  const rec = (length: number): QueuedTask => ({ kind: 'record', line: { length } });
  const excl: QueuedTask = { kind: 'exclusive' };
  const table: [string, QueuedTask[], number][] = [
    ['an empty queue', [], 0],
    ['an exclusive step at the head', [excl, rec(10)], 0],
    ['records up to the exclusive step after them', [rec(10), rec(10), excl, rec(10)], 2],
    ['records up to the limit, inclusive', [rec(40), rec(60), rec(1)], 2],
    ['a line larger than the limit goes alone', [rec(150), rec(1)], 1],
    ['a large line after a small one waits for the next batch', [rec(1), rec(150)], 1],
    ['every record when they fit', [rec(1), rec(2), rec(3)], 3],
  ];
  it.each(table)('%s', (_name, queue, expected) => {
    expect(batchLength(queue, 100)).toBe(expected);
  });
});

describe('nextWriterStep', () => {
  const table: [WriterFacts, WriterStep][] = [
    [{ head: 'record', broken: false }, 'commit'],
    [{ head: 'record', broken: true }, 'reject'],
    [{ head: 'exclusive', broken: false }, 'run'],
    [{ head: 'exclusive', broken: true }, 'run'],
  ];
  it.each(table)('%o -> %s', (facts, expected) => {
    expect(nextWriterStep(facts)).toBe(expected);
  });
});

describe('shouldCompact', () => {
  /** A 10 KiB file past its 8 KiB threshold, 4 KiB of it live. */
  const facts = (f: Partial<CompactionFacts>): CompactionFacts => ({
    compacting: false,
    closing: false,
    fileBytes: 10_240,
    compactAt: 8_192,
    liveBytes: 4_096,
    ...f,
  });
  const table: [string, Partial<CompactionFacts>, boolean][] = [
    ['past the threshold, more than half obsolete', {}, true],
    ['exactly at the threshold', { fileBytes: 8_192 }, true],
    ['below the threshold', { fileBytes: 8_191, liveBytes: 1 }, false],
    ['exactly half obsolete', { liveBytes: 5_120 }, true],
    ['less than half obsolete', { liveBytes: 5_121 }, false],
    ['a compaction is running', { compacting: true }, false],
    ['closing', { closing: true }, false],
    ['the threshold moved on after a failure', { compactAt: 10_241 }, false],
  ];
  it.each(table)('%s', (_name, f, expected) => {
    expect(shouldCompact(facts(f))).toBe(expected);
  });
});
