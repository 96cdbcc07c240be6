import { AllTargetsFailedError, type FailureKind, type TargetFailure } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../src/multi/errors.js';
import { MISSING, type NoCopy, ReadTally, STALE, UNSURE } from '../src/multi/read-tally.js';

// The decide step of a read's rounds: no I/O, so every case is a table row.

const targets = ['aws', 'gcp', 'azure'].map((name, rank) => ({ name, rank }));
const [aws, gcp, azure] = targets as [(typeof targets)[0], (typeof targets)[0], (typeof targets)[0]];
const ALL = targets.map((t) => t.name);

function tally(
  minVersion?: string,
  probe: string | undefined = undefined,
  probed: string[][] = [],
): ReadTally {
  return new ReadTally({
    targets,
    key: 'k',
    minVersion,
    newest: minVersion ?? 'v9',
    probeEarly: (names) => {
      probed.push([...names]);
      return probe;
    },
  });
}

function failure(target: string, kind: FailureKind, attempts = 1): TargetFailure {
  return { target, kind, attempts, cause: new Error(kind) };
}

const corrupt = (): NoCopy => ({ type: 'corrupt', error: new IntegrityError('k', 'aws', 'a', 'b', 'v1') });

describe('ReadTally: when "not found" is final', () => {
  it.each<[string, string | undefined, readonly TargetFailure[], (typeof targets)[0], boolean]>([
    ['the first target, no floor', undefined, [], aws, true],
    ['the first target, with a floor (a newer version is pending)', 'v2', [], aws, false],
    ['the second target, the first one down', undefined, [failure('aws', 'timeout')], gcp, false],
    [
      'the second target, the first one skipped by its breaker',
      undefined,
      [failure('aws', 'unavailable', 0)],
      gcp,
      false,
    ],
  ])('%s: final = %s', (_name, min, failures, answeredBy, final) => {
    const t = tally(min);
    t.failed(failures);
    expect(t.answered(answeredBy, MISSING as NoCopy)).toBe(final);
  });

  it('the third target after both above said "not found" too', () => {
    const t = tally();
    t.failed([failure('aws', 'timeout')]);
    expect(t.answered(gcp, MISSING as NoCopy)).toBe(false);
    // aws failed in the first round: gcp's "not found" did not settle it; aws answers now.
    expect(t.answered(aws, MISSING as NoCopy)).toBe(true);
    expect(t.answered(azure, MISSING as NoCopy)).toBe(true);
  });

  it.each<[string, NoCopy]>([
    ['an older copy', STALE as NoCopy],
    ['"not found" from a target that lost its data', UNSURE as NoCopy],
    ['a corrupt copy', corrupt()],
  ])('%s is never final', (_name, outcome) => {
    expect(tally().answered(aws, outcome)).toBe(false);
  });
});

describe('ReadTally: the next round', () => {
  it('leaves out the target that answered and the ones that failed', () => {
    const t = tally();
    t.failed([failure('gcp', 'timeout')]);
    t.answered(aws, UNSURE as NoCopy);
    expect(t.next(ALL, 'aws')).toEqual(['azure']);
  });

  it.each<[string, readonly TargetFailure[], string[]]>([
    ['a timeout', [failure('gcp', 'timeout')], ['gcp']],
    ['a 503 and a 429', [failure('gcp', 'unavailable'), failure('azure', 'throttled')], ['gcp', 'azure']],
    ['a bad request (not a passing reason)', [failure('gcp', 'invalid')], []],
    ['skipped by its open breaker, no early probe to make', [failure('gcp', 'unavailable', 0)], []],
  ])('only older copies answered, the others failed with %s: asked once more', (_name, failures, again) => {
    const t = tally('v2');
    t.failed(failures);
    t.answered(aws, STALE as NoCopy);
    // The round asked aws and the targets that failed (azure answered an earlier round).
    const next = t.next(['aws', ...failures.map((f) => f.target)], 'aws');
    expect(next).toEqual(again);
    if (again.length > 0) {
      // Once only: failing again ends the rounds, and the older copies decide.
      t.failed(failures);
      expect(t.next(next, 'none')).toEqual([]);
    }
  });

  it('only older copies answered and a target was skipped by its breaker: probes it early, once', () => {
    const probed: string[][] = [];
    const t = tally('v2', 'gcp', probed);
    t.failed([failure('gcp', 'unavailable', 0)]);
    t.answered(aws, STALE as NoCopy);
    t.failed([failure('azure', 'invalid')]);
    expect(t.next(ALL, 'aws')).toEqual(['gcp']);
    expect(probed).toEqual([['gcp']]);
    t.answered(gcp, STALE as NoCopy);
    expect(t.next(['gcp'], 'gcp')).toEqual([]);
    expect(probed).toHaveLength(1);
  });

  it('"not found" from a target that lost its data, the others skipped by their breakers: probes one early', () => {
    // Seen in a loaded fleet soak: aws (restored after losing its data) said "not found", gcp and
    // azure were open, and the read failed without asking either.
    const probed: string[][] = [];
    const t = tally(undefined, 'gcp', probed);
    t.failed([failure('gcp', 'unavailable', 0), failure('azure', 'unavailable', 0)]);
    t.answered(aws, UNSURE as NoCopy);
    expect(t.next(ALL, 'aws')).toEqual(['gcp']);
    expect(probed).toEqual([['gcp', 'azure']]);
  });

  it('"not found" with targets skipped: no early probe (only older copies call for one)', () => {
    const probed: string[][] = [];
    const t = tally(undefined, 'gcp', probed);
    t.failed([failure('aws', 'unavailable', 0)]);
    t.answered(gcp, MISSING as NoCopy);
    expect(t.next(ALL, 'gcp')).toEqual(['azure']);
    t.answered(azure, MISSING as NoCopy);
    expect(t.next(['azure'], 'azure')).toEqual([]);
    expect(probed).toEqual([]);
  });
});

describe('ReadTally: a round that failed on every target', () => {
  const down = (names: string[]) => new AllTargetsFailedError(names.map((n) => failure(n, 'timeout')));

  it('after a live "not found": the read answers "not found"', () => {
    const t = tally();
    t.failed([failure('aws', 'timeout')]);
    t.answered(gcp, MISSING as NoCopy);
    expect(t.roundFailed(down(['azure']))).toBe('missing');
  });

  it('after older copies, asked again and failed again: the verdict decides', () => {
    const t = tally('v2');
    t.failed([failure('gcp', 'timeout')]);
    t.answered(aws, STALE as NoCopy);
    expect(t.next(['aws', 'gcp'], 'aws')).toEqual(['gcp']);
    expect(t.roundFailed(down(['gcp']))).toEqual([]);
    expect(() => t.verdict()).toThrow(
      /No reachable target holds the newest version \(v2\) of "k" \(aws: an older copy; gcp: timeout; azure: not asked\)/,
    );
  });

  it('asked again and failed again with a target skipped by its breaker: probes it early, once', () => {
    // aws answered an older copy, gcp was throttled, azure skipped (open): gcp is asked again and
    // is throttled again; azure, which may hold the newest version, is probed before the verdict.
    const probed: string[][] = [];
    const t = tally('v2', 'azure', probed);
    t.failed([failure('gcp', 'throttled'), failure('azure', 'unavailable', 0)]);
    t.answered(aws, STALE as NoCopy);
    expect(t.next(ALL, 'aws')).toEqual(['gcp']);
    expect(probed).toEqual([]);
    expect(t.roundFailed(new AllTargetsFailedError([failure('gcp', 'throttled')]))).toEqual(['azure']);
    expect(probed).toEqual([['azure']]);
    // The probe fails too: the older copies decide, and no second probe.
    expect(t.roundFailed(new AllTargetsFailedError([failure('azure', 'timeout')]))).toEqual([]);
    expect(probed).toHaveLength(1);
    expect(() => t.verdict()).toThrow(/aws: an older copy; gcp: throttled; azure: timeout/);
  });

  it('an older copy before the first "ask again": throws, telling the whole read', () => {
    const t = tally('v2');
    t.answered(aws, STALE as NoCopy);
    let thrown: unknown;
    try {
      t.roundFailed(down(['gcp', 'azure']));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AllTargetsFailedError);
    const failures = (thrown as AllTargetsFailedError).failures;
    expect(failures.map((f) => [f.target, f.kind])).toEqual([
      ['aws', 'unavailable'],
      ['gcp', 'timeout'],
      ['azure', 'timeout'],
    ]);
    expect(String((failures[0]?.cause as Error | undefined)?.message)).toContain(
      'aws answered an older copy for "k"',
    );
  });

  it('nothing seen before: the router error itself', () => {
    const err = down(ALL);
    expect(() => tally().roundFailed(err)).toThrow(err);
  });

  it("an error that is not the router's: thrown as it is", () => {
    const err = new TypeError('bug');
    expect(() => tally().roundFailed(err)).toThrow(err);
  });
});

describe('ReadTally: the verdict when no copy was returned', () => {
  it.each<[string, NoCopy[], RegExp | null]>([
    ['"not found" everywhere', [MISSING, MISSING, MISSING] as NoCopy[], null],
    [
      'a corrupt copy and "not found"',
      [corrupt(), MISSING as NoCopy, MISSING as NoCopy],
      /Integrity check failed/,
    ],
    ['older copies only', [STALE, STALE, STALE] as NoCopy[], /holds the newest version \(v9\)/],
    [
      '"not found" only from targets that lost their data',
      [UNSURE, UNSURE, UNSURE] as NoCopy[],
      /can tell whether "k" exists/,
    ],
    ['one that lost its data, one plain "not found"', [UNSURE, MISSING, UNSURE] as NoCopy[], null],
  ])('%s', (_name, answers, error) => {
    const t = tally();
    for (const [i, a] of answers.entries()) t.answered({ name: `t${i}`, rank: 3 + i }, a);
    if (error === null) expect(t.verdict()).toBeNull();
    else expect(() => t.verdict()).toThrow(error);
  });
});
