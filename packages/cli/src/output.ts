import { redact } from '@failover/core';
import type { ExitCode } from './exit-codes.js';

/** The version of the `--json` document format; it changes only when a field is removed or changes meaning. */
export const JSON_SCHEMA_VERSION = 1;

/** Every `--json` document: these fields, then the command's own. */
export interface JsonEnvelope {
  /** {@link JSON_SCHEMA_VERSION}. */
  readonly schema: number;
  /** The command that ran (`null` when the arguments could not be parsed). */
  readonly command: string | null;
  /** `exitCode === 0`. */
  readonly ok: boolean;
  readonly exitCode: ExitCode;
  /** What is wrong, one line each (empty when `ok`). */
  readonly problems: readonly string[];
  /** Set when the command could not run: usage or config error (exit 2), or a failure (exit 1). */
  readonly error?: { readonly kind: string; readonly message: string };
}

/** A copy of `value` with every string redacted (signed URLs, keys, tokens), for output. */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  }
  return value;
}

/** The `--json` document, redacted, as one line of text. */
export function jsonDocument(envelope: JsonEnvelope, data: Readonly<Record<string, unknown>> = {}): string {
  return `${JSON.stringify(redactDeep({ ...envelope, ...data }), null, 2)}\n`;
}

/** The human-readable report: the command's lines, then the problems, then a verdict. */
export function textReport(lines: readonly string[], problems: readonly string[]): string {
  const out = [...lines];
  if (problems.length === 0) out.push('OK: no problems found.');
  else {
    out.push(`${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
    for (const p of problems) out.push(`  - ${p}`);
  }
  return `${out.map(redact).join('\n')}\n`;
}
