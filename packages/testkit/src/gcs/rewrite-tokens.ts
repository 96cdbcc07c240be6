import { randomBytes } from 'node:crypto';
import type { WritableObjectFields } from './object-model.js';
import type { Preconditions } from './preconditions.js';

/** How long a rewrite token stays valid after the rewrite began: one week, like upload sessions. */
export const REWRITE_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** A rewrite that spans calls (`maxBytesRewrittenPerCall` smaller than the object). */
export interface RewriteState {
  readonly token: string;
  readonly source: { readonly bucket: string; readonly name: string; readonly generation: number };
  readonly destination: { readonly bucket: string; readonly name: string };
  /** The destination's fields, fixed by the first call. */
  readonly fields: WritableObjectFields;
  /** The destination preconditions of the first call, checked again when the copy is written. */
  readonly preconditions: Preconditions;
  readonly objectSize: number;
  /** Bytes "rewritten" so far. */
  rewritten: number;
  readonly expiresAt: number;
}

/** What a lookup of a rewrite token finds. */
export type RewriteLookup =
  | { state: 'open'; rewrite: RewriteState }
  | { state: 'expired' }
  | { state: 'unknown' };

/** Rewrites in progress, by token. In memory only; dropped by `stop()` like upload sessions. */
export class RewriteTokens {
  readonly #rewrites = new Map<string, RewriteState>();
  readonly #expired = new Set<string>();

  create(init: Omit<RewriteState, 'token' | 'expiresAt' | 'rewritten'>, now = Date.now()): RewriteState {
    for (const r of this.#rewrites.values()) if (now >= r.expiresAt) this.#expire(r.token);
    const rewrite: RewriteState = {
      ...init,
      token: randomBytes(24).toString('base64url'),
      rewritten: 0,
      expiresAt: now + REWRITE_TOKEN_LIFETIME_MS,
    };
    this.#rewrites.set(rewrite.token, rewrite);
    return rewrite;
  }

  lookup(token: string, now = Date.now()): RewriteLookup {
    if (this.#expired.has(token)) return { state: 'expired' };
    const rewrite = this.#rewrites.get(token);
    if (!rewrite) return { state: 'unknown' };
    if (now >= rewrite.expiresAt) {
      this.#expire(token);
      return { state: 'expired' };
    }
    return { state: 'open', rewrite };
  }

  /** Forgets a finished (or failed) rewrite: its token then reads as expired. */
  finish(token: string): void {
    this.#expire(token);
  }

  clear(): void {
    this.#rewrites.clear();
    this.#expired.clear();
  }

  #expire(token: string): void {
    this.#rewrites.delete(token);
    this.#expired.add(token);
  }
}
