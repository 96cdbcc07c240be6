import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCli, USAGE, UsageError } from './cli/args.js';
import { DEFAULTS } from './options.js';
import { runDemo } from './run.js';

/**
 * The command: parses the options (exit 2 on a bad one), runs the demo, exits 0 when every check
 * passed and 1 otherwise. Ctrl-C stops the run and cleans up every server it started.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // The AWS SDK warns on Node 20 about its releases of 2027; it says nothing about this demo and
  // would break the dashboard. Set the variable to anything but "true" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let command: ReturnType<typeof parseCli>;
  try {
    command = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`outage-demo: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('\nStopping: cleaning up the local servers…\n');
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Paths are relative to where the command was typed (pnpm runs scripts in the package's folder).
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const reportPath =
      command.options.reportPath === null
        ? null
        : resolve(cwd, command.options.reportPath ?? DEFAULTS.reportPath);
    const report = await runDemo({ ...command.options, reportPath, signal: controller.signal });
    return report.ok ? 0 : 1;
  } catch (err) {
    if (controller.signal.aborted) return 130;
    process.stderr.write(`outage-demo: the demo could not run: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
