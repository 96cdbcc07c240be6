import { describe, expect, it } from 'vitest';
import { main, parseCli, UsageError } from '../src/index.js';

describe('command line', () => {
  it('parses every option', () => {
    expect(
      parseCli([
        '--duration',
        '30',
        '--scenario',
        'flapping',
        '--write-mode',
        'quorum:2',
        '--seed',
        '9',
        '--rate',
        '12',
        '--report',
        'out/r.html',
        '--plain',
      ]),
    ).toEqual({
      help: false,
      options: {
        durationSec: 30,
        scenario: 'flapping',
        writeMode: { quorum: 2 },
        seed: 9,
        opsPerSecond: 12,
        reportPath: 'out/r.html',
        live: false,
      },
    });
    expect(parseCli(['--short', '--no-report'])).toEqual({
      help: false,
      options: { durationSec: 15, reportPath: null },
    });
    expect(parseCli(['--write-mode', 'primary'])).toEqual({ help: false, options: { writeMode: 'primary' } });
    expect(parseCli(['-h'])).toEqual({ help: true });
    expect(parseCli(['--', '--short'])).toEqual({ help: false, options: { durationSec: 15 } });
    expect(parseCli([])).toEqual({ help: false, options: {} });
  });

  it.each([
    [['--duration', 'abc'], '--duration', /--duration must be a whole number from 10 to 3600, got "abc"/],
    [['--duration', '5'], '--duration', /from 10 to 3600/],
    [['--duration', '1.5'], '--duration', /whole number/],
    [
      ['--scenario', 'mars'],
      '--scenario',
      /--scenario must be one of us-east-1-2025, blackhole, flapping, all-clouds-down/,
    ],
    [['--write-mode', 'quorum:4'], '--write-mode', /quorum:<n>,min:<m> with 1 <= m <= n <= 3/],
    [['--write-mode', 'all'], '--write-mode', /--write-mode must be default, primary, mirror, quorum/],
    [['--seed=-1'], '--seed', /--seed must be a whole number/],
    [['--seed', '-1'], '--seed', /--seed got a value starting with "-"; write it as --seed=<value>/],
    [['--rate', '0'], '--rate', /--rate must be a whole number from 1 to 200/],
    [['--short', '--duration', '20'], '--short', /--short and --duration cannot be used together/],
    [['--report', 'a.html', '--no-report'], '--report', /cannot be used together/],
    [['--colour'], '--colour', /unknown option --colour/],
  ])('rejects %j naming the option', (argv, option, message) => {
    let error: unknown;
    try {
      parseCli(argv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).option).toBe(option);
    expect((error as UsageError).message).toMatch(message);
  });

  it('rejects a missing value and a stray argument', () => {
    expect(() => parseCli(['--scenario'])).toThrow(/--scenario needs a value/);
    expect(() => parseCli(['fast'])).toThrow(/unexpected argument fast/);
  });

  it('exits with 2 and a message naming the option on a bad option', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['--duration', 'soon'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).toMatch(/^outage-demo: --duration must be a whole number/);
  });
});
