import { AVAILABILITY_KINDS, classifyFailure, type FailureKind } from '@failover/core';
import { messageOf } from './errors.js';

/** A failure reduced to what the CLI shows: its kind and its (redacted) message. */
export interface FailureInfo {
  readonly kind: FailureKind;
  readonly message: string;
}

/** The kind (the error's own `kind`, else core's classification) and redacted message of an error. */
export function failureOf(err: unknown): FailureInfo {
  const own = (err as { kind?: unknown } | null)?.kind;
  const kind = typeof own === 'string' ? (own as FailureKind) : classifyFailure(err);
  return { kind, message: oneLine(messageOf(err)) };
}

/** True for the kinds that mean "the target did not answer". */
export function isOutage(kind: FailureKind): boolean {
  return AVAILABILITY_KINDS.includes(kind);
}

/** What a failure on a target means, in a few words, for one-line reports. */
export function explain(failure: FailureInfo): string {
  const { kind, message } = failure;
  if (isOutage(kind)) return `unreachable (${kind}): ${message}`;
  if (kind === 'auth') return `credentials refused (auth): ${message}`;
  if (kind === 'not_found') return `bucket or container not found (not_found): ${message}`;
  return `${kind}: ${message}`;
}

/** Collapses whitespace so that a message stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
