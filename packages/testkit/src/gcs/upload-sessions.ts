import { randomBytes } from 'node:crypto';
import type { WritableObjectFields } from './object-model.js';
import type { ExpectedHashes } from './object-writes.js';
import type { Preconditions } from './preconditions.js';
import type { GcsObjectResource } from './types.js';

/** How long a resumable upload session lives after it is opened, as on GCS: one week. */
export const UPLOAD_SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** A resumable upload in progress (or finished, kept so a repeated final request gets its answer). */
export interface UploadSession {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly fields: WritableObjectFields;
  readonly preconditions: Preconditions;
  /** `X-Upload-Content-Length` of the initiating request, when given. */
  readonly declaredSize: number | undefined;
  /** Checksums given in the initiating request's metadata (`crc32c`, `md5Hash`), checked at the end. */
  readonly expected: ExpectedHashes;
  /** When the session stops accepting requests (epoch milliseconds). */
  readonly expiresAt: number;
  /** Bytes persisted so far, in order. */
  chunks: Buffer[];
  /** How many bytes are persisted. */
  received: number;
  /**
   * The upload's completion, once a request started it: resolves with the object created (as
   * answered) and stays, so a repeated final request gets the same answer; rejects when a final
   * check failed (the session is then gone).
   */
  finishing: Promise<GcsObjectResource> | undefined;
}

/** What a lookup of an upload id finds. */
export type SessionLookup =
  | { state: 'open'; session: UploadSession }
  | { state: 'expired' }
  | { state: 'unknown' };

/**
 * The open resumable uploads, by upload id. Kept in memory only. A session expires
 * {@link UPLOAD_SESSION_LIFETIME_MS} after it was opened (by `Date.now()`); its content is then
 * dropped and its id remembered as expired, so a late request learns why it failed.
 */
export class UploadSessions {
  readonly #sessions = new Map<string, UploadSession>();
  readonly #expired = new Set<string>();

  create(
    init: Omit<UploadSession, 'id' | 'chunks' | 'received' | 'finishing' | 'expiresAt'>,
    now = Date.now(),
  ): UploadSession {
    this.#sweep(now);
    const session: UploadSession = {
      ...init,
      id: randomBytes(18).toString('base64url'),
      expiresAt: now + UPLOAD_SESSION_LIFETIME_MS,
      chunks: [],
      received: 0,
      finishing: undefined,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** Finds a session; one past its lifetime is expired (and forgotten but for its id). */
  lookup(id: string, now = Date.now()): SessionLookup {
    if (this.#expired.has(id)) return { state: 'expired' };
    const session = this.#sessions.get(id);
    if (!session) return { state: 'unknown' };
    if (now >= session.expiresAt) {
      this.#expire(session);
      return { state: 'expired' };
    }
    return { state: 'open', session };
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  clear(): void {
    this.#sessions.clear();
    this.#expired.clear();
  }

  #expire(session: UploadSession): void {
    this.#sessions.delete(session.id);
    this.#expired.add(session.id);
  }

  #sweep(now: number): void {
    for (const session of this.#sessions.values()) if (now >= session.expiresAt) this.#expire(session);
  }
}
