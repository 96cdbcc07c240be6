import { describe, expect, it } from 'vitest';
import { jsonOf, runBin, runInProcess } from './run-bin.js';

// --help and usage errors need no clouds and no config. The real bin prints the program help and
// exits 2 on a usage error (its exit status, from a process); the rest runs in this process.
describe('failover --help and usage errors', () => {
  it('prints the program help with every command and the exit codes (exit 0)', async () => {
    const run = await runBin(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: failover [options] [command]');
    for (const command of ['status', 'drill', 'repair', 'reconcile', 'doctor'])
      expect(run.stdout).toContain(command);
    expect(run.stdout).toContain(
      'Exit codes: 0 no problems, 1 problems found or partial failure, 2 usage or config error.',
    );
  });

  it.each([
    ['status', []],
    ['drill', ['--sample <n>']],
    ['repair', ['--target <name...>']],
    ['reconcile', ['--prefix <p>', '--dry-run', '--verify']],
    ['doctor', ['--max-skew <ms>', '--read-only']],
  ])('failover %s --help shows its options and the global ones (exit 0)', async (command, options) => {
    const run = await runInProcess([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: failover ${command} [options]`);
    for (const option of [...options, '--config <path>', '--json', '--timeout <ms>']) {
      expect(run.stdout).toContain(option);
    }
  });

  it('exits 2 on an unknown command, a bad number, no command, and says why on stderr', async () => {
    const unknown = await runBin(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bogus'");

    const badSample = await runInProcess(['drill', '--sample', '0']);
    expect(badSample.code).toBe(2);
    expect(badSample.stderr).toContain('must be an integer from 1 to 1000');

    const none = await runInProcess([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: failover');
  });

  it('with --json, a usage error is also a JSON document on stdout', async () => {
    const run = await runInProcess(['drill', '--sample', 'x', '--json']);
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({
      schema: 1,
      command: null,
      ok: false,
      exitCode: 2,
      error: { kind: 'usage' },
    });
  });

  it('exits 2 when no config file is found or --config names none', async () => {
    const missing = await runInProcess(['status', '--config', 'nowhere.mjs', '--json']);
    expect(missing.code).toBe(2);
    expect(jsonOf(missing)).toMatchObject({ command: 'status', exitCode: 2, error: { kind: 'config' } });
    expect((jsonOf(missing).error as { message: string }).message).toContain('--config: no file at');

    const none = await runInProcess(['status'], { cwd: '/' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No config file');
  });
});
