import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_VERSION, defineConfig, EXIT_CODES } from '@failover/cli';
import { describe, expect, it } from 'vitest';
import { summarizeDrills } from '../src/commands/drill.js';
import { clockSkew } from '../src/doctor/clock.js';
import { jsonDocument, redactDeep, textReport } from '../src/output.js';
import { createProgress, renderProgress } from '../src/progress.js';
import { CLI_DIR } from './run-bin.js';

describe('progress bar', () => {
  it('draws only on a terminal and only when enabled', () => {
    const written: string[] = [];
    const pipe = { write: (t: string) => written.push(t), isTTY: false };
    const off = createProgress(pipe, 'repair', true);
    off.setTotal(3);
    off.tick();
    off.done();
    const tty = { write: (t: string) => written.push(t), isTTY: true };
    const disabled = createProgress(tty, 'repair', false); // --json
    disabled.tick();
    disabled.done();
    expect(written).toEqual([]);

    const bar = createProgress(tty, 'repair', true);
    bar.setTotal(4);
    bar.done();
    bar.done();
    expect(written[0]).toBe('\r\u001b[Krepair: 0');
    expect(written.at(-1)).toBe('\r\u001b[K');
    expect(written.filter((t) => t === '\r\u001b[K')).toHaveLength(1);
  });

  it('renders a bar with a total and a counter without one, within the width', () => {
    expect(renderProgress('repair', 5, 10, 80)).toMatch(/^repair \[#+\.+\] 5\/10$/);
    expect(renderProgress('repair', 12, 10, 80)).toMatch(/ 10\/10$/);
    expect(renderProgress('reconcile', 7, undefined, 80)).toBe('reconcile: 7');
    expect(renderProgress('reconcile', 7, 100, 20).length).toBeLessThan(20);
  });
});

describe('clock skew from an object timestamp', () => {
  it('is within bounds when the timestamp falls inside the write (second resolution)', () => {
    const skew = clockSkew(1_000_000, 1_000_200, 1_000_400, 5_000);
    expect(skew.tooFar).toBe(false);
    expect(skew.uncertaintyMs).toBeGreaterThan(0);
  });

  it('reports a machine behind or ahead only when the whole interval is beyond the limit', () => {
    const behind = clockSkew(1_010_000, 1_000_000, 1_000_500, 5_000); // the cloud is ~10 s ahead
    expect(behind).toMatchObject({ tooFar: true });
    expect(behind.estimateMs).toBeGreaterThan(9_000);
    const ahead = clockSkew(990_000, 1_000_000, 1_000_500, 5_000);
    expect(ahead.tooFar).toBe(true);
    expect(ahead.estimateMs).toBeLessThan(-8_000);
    // Timestamp 4.5 s after the write, but a 1 s resolution puts the skew anywhere in 4.5..5.5 s:
    // not provably beyond 5 s.
    expect(clockSkew(1_004_000, 999_500, 999_500, 5_000).tooFar).toBe(false);
    expect(clockSkew(1_005_000, 999_800, 999_800, 5_000).tooFar).toBe(true); // 5.2..6.2 s
  });

  it('uses millisecond resolution for timestamps that have it', () => {
    expect(clockSkew(1_000_123, 1_000_100, 1_000_200, 0)).toMatchObject({ tooFar: false, uncertaintyMs: 51 });
  });
});

describe('drill summaries', () => {
  it('counts passes and groups failures by step, kind and message', () => {
    const ok = (target: string, latencyMs: number) => ({
      target,
      ok: true,
      stepsMs: {},
      latencyMs,
      error: undefined,
    });
    const bad = {
      target: 'azure',
      ok: false,
      stepsMs: {},
      latencyMs: 3,
      error: { step: 'put' as const, kind: 'network' as const, message: 'refused\nhere' },
    };
    const summary = summarizeDrills([
      { ok: false, at: 1, targets: [ok('aws', 10), bad] },
      { ok: false, at: 2, targets: [ok('aws', 30), bad] },
      { ok: true, at: 3, targets: [ok('aws', 20), ok('azure', 5)] },
    ]);
    expect(summary).toEqual([
      {
        target: 'aws',
        runs: 3,
        passed: 3,
        failed: 0,
        latencyMs: { min: 10, median: 20, max: 30 },
        errors: [],
      },
      {
        target: 'azure',
        runs: 3,
        passed: 1,
        failed: 2,
        latencyMs: { min: 3, median: 3, max: 5 },
        errors: [{ step: 'put', kind: 'network', message: 'refused here', count: 2 }],
      },
    ]);
  });
});

describe('output', () => {
  it('redacts every string of a JSON document, however deep', () => {
    const doc = redactDeep({
      a: ['https://x.test/o?X-Amz-Signature=abc&X-Amz-Credential=def'],
      b: { c: 'AccountKey=secret;' },
    });
    expect(JSON.stringify(doc)).not.toMatch(/abc|def|secret/);
    expect(
      jsonDocument({ schema: 1, command: 'status', ok: true, exitCode: 0, problems: [] }, { x: 1 }),
    ).toBe(
      '{\n  "schema": 1,\n  "command": "status",\n  "ok": true,\n  "exitCode": 0,\n  "problems": [],\n  "x": 1\n}\n',
    );
  });

  it('ends a text report with a verdict and one line per problem', () => {
    expect(textReport(['a'], [])).toBe('a\nOK: no problems found.\n');
    expect(textReport(['a'], ['x: down', 'y: down'])).toBe('a\n2 problems:\n  - x: down\n  - y: down\n');
  });
});

describe('package', () => {
  it('CLI_VERSION matches package.json; exit codes are 0, 1, 2; defineConfig returns its argument', () => {
    const pkg = JSON.parse(readFileSync(join(CLI_DIR, 'package.json'), 'utf8')) as { version: string };
    expect(CLI_VERSION).toBe(pkg.version);
    expect(EXIT_CODES).toEqual({ ok: 0, problems: 1, usage: 2 });
    const config = () => ({ targets: [] });
    expect(defineConfig(config)).toBe(config);
  });
});
