import { describe, expect, it } from 'vitest';
import { parseCli, runDemo, USAGE, UsageError } from '../src/index.js';

describe('command line: fleet mode', () => {
  it('--fleet runs 3 instances unless --instances says otherwise; without --fleet, one (no Redis)', () => {
    expect(parseCli(['--fleet'])).toEqual({ help: false, options: { instances: 3 } });
    expect(parseCli(['--', '--instances', '3', '--fleet', '--short'])).toEqual({
      help: false,
      options: { instances: 3, durationSec: 15 },
    });
    expect(parseCli(['--fleet', '--instances', '5'])).toEqual({ help: false, options: { instances: 5 } });
    expect(parseCli(['--short'])).toEqual({ help: false, options: { durationSec: 15 } });
    expect(USAGE).toContain('--fleet');
    expect(USAGE).toContain('--instances <n>');
  });

  it('refuses --instances without --fleet, and counts outside 2 to 8', () => {
    expect(() => parseCli(['--instances', '3'])).toThrow(UsageError);
    expect(() => parseCli(['--instances', '3'])).toThrow('--instances needs --fleet');
    expect(() => parseCli(['--fleet', '--instances', '1'])).toThrow(
      '--instances must be a whole number from 2 to 8, got "1"',
    );
    expect(() => parseCli(['--fleet', '--instances', '9'])).toThrow('from 2 to 8');
  });

  it('runDemo refuses a bad instance count at once', async () => {
    await expect(runDemo({ instances: 0 })).rejects.toThrow(/instances/);
    await expect(runDemo({ instances: 2.5 })).rejects.toThrow(/instances/);
  });
});
