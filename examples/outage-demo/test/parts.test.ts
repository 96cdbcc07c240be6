import { describe, expect, it } from 'vitest';
import { fit, wrap } from '../src/dashboard/tty.js';
import { esc, lineChart } from '../src/report/svg.js';
import { SCENARIOS } from '../src/scenarios/catalog.js';
import { phaseAt, timePhases } from '../src/scenarios/timing.js';
import { SCENARIO_IDS } from '../src/scenarios/types.js';
import { receiptBytes, receiptStream, sha256 } from '../src/workload/content.js';
import { inlineVersion, Ledger } from '../src/workload/ledger.js';

describe('scenarios', () => {
  it.each(SCENARIO_IDS)('%s lays its phases end to end over the whole duration, AWS faulted first', (id) => {
    const scenario = SCENARIOS[id];
    for (const durationMs of [10_000, 15_000, 120_000, 3_600_000]) {
      const phases = timePhases(scenario, durationMs);
      expect(phases.map((p) => p.index)).toEqual(phases.map((_, i) => i));
      expect(phases[0]!.startMs).toBe(0);
      for (let i = 1; i < phases.length; i++) {
        expect(phases[i]!.startMs).toBe(phases[i - 1]!.startMs + phases[i - 1]!.durationMs);
      }
      const last = phases.at(-1)!;
      expect(last.startMs + last.durationMs).toBe(durationMs);
      expect(phases.every((p) => p.durationMs > 0)).toBe(true);
      expect(phaseAt(phases, durationMs + 5)).toBe(last);
    }
    // Every scenario starts healthy, faults AWS's S3, and ends healthy (recovery, then repair).
    expect(scenario.phases[0]!.faults).toEqual({});
    expect(scenario.phases.some((p) => p.faults.s3 !== undefined)).toBe(true);
    expect(scenario.phases.at(-1)!.faults).toEqual({});
    expect(scenario.appErrorsExpected).toBe(scenario.phases.some((p) => p.appErrorsAllowed === true));
  });
});

describe('ledger', () => {
  it('keeps the last acknowledged state and the failed writes after it', () => {
    const ledger = new Ledger();
    const a = inlineVersion(Buffer.from('a'));
    const b = inlineVersion(Buffer.from('b'));
    expect(ledger.allowed('k')).toEqual([null]);
    ledger.fail('k', a);
    expect(ledger.allowed('k')).toEqual([null, a]);
    expect(ledger.isSettled('k')).toBe(false);
    ledger.ack('k', b);
    expect(ledger.allowed('k')).toEqual([b]);
    expect(ledger.isSettled('k')).toBe(true);
    ledger.fail('k', null);
    expect(ledger.allowed('k')).toEqual([b, null]);
    ledger.ack('k', null);
    expect(ledger.acked('k')).toBeNull();
    expect(ledger.counts()).toEqual({ acknowledged: 2, unacknowledged: 2 });
  });
});

describe('receipts', () => {
  it('are the same bytes whether generated at once or streamed, and differ by seed', async () => {
    const chunks: Buffer[] = [];
    for await (const c of receiptStream(42, 200_003)) chunks.push(c as Buffer);
    const streamed = Buffer.concat(chunks);
    expect(streamed.length).toBe(200_003);
    expect(streamed.equals(receiptBytes(42, 200_003))).toBe(true);
    expect(sha256(receiptBytes(43, 1000))).not.toBe(sha256(receiptBytes(42, 1000)));
  });
});

describe('output', () => {
  it('cuts dashboard lines to the terminal width without counting or cutting ANSI escapes', () => {
    expect(fit('abcdef', 10)).toBe('abcdef');
    expect(fit('\x1b[31mabcdef\x1b[39m', 4)).toBe('\x1b[31mabcd\x1b[39m\x1b[0m');
    expect(wrap('one two three four five', 9, 3)).toEqual(['one two', 'three', 'four five']);
    expect(wrap('one two three four five', 9, 2)).toEqual(['one two', 'three…']);
  });

  it('escapes text in the HTML report and draws one SVG per chart', () => {
    expect(esc('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
    const svg = lineChart({
      title: 'T <1>',
      xMax: 10_000,
      yLabel: 'per second',
      bands: [{ x0: 0, x1: 10_000, label: 'normal', faulty: false }],
      series: [
        {
          label: 'a',
          color: '#000',
          points: [
            [0, 1],
            [5_000, 3],
          ],
        },
      ],
      strip: [{ x0: 0, x1: 10_000, color: '#0f0', title: 'closed' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg).toContain('<polyline');
    expect(svg.endsWith('</svg>')).toBe(true);
  });
});
