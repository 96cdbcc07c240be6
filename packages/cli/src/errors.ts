import { redact } from '@failover/core';
import { EXIT_CODES } from './exit-codes.js';

/** What went wrong before a command could run: its arguments (`usage`) or its config file (`config`). */
export type CliErrorKind = 'usage' | 'config';

/**
 * An error that stops the `failover` command before it checks anything (exit code 2). The message
 * names the option or config path at fault and never carries credentials (it is redacted);
 * `cause` keeps the original error.
 */
export class CliError extends Error {
  /** `usage` (arguments) or `config` (the config file). */
  readonly kind: CliErrorKind;
  /** Always 2 ({@link EXIT_CODES}.usage). */
  readonly exitCode: number = EXIT_CODES.usage;

  constructor(kind: CliErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.kind = kind;
  }
}

/** The message of any thrown value, with credentials removed. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redact(text);
}
