import { randomBytes } from 'node:crypto';
import type { WritableObjectFields } from './object-model.js';
import type { Preconditions } from './preconditions.js';
import type { GcsObjectResource } from './types.js';

/** A resumable upload in progress (or finished, kept so a repeated final request gets its answer). */
export interface UploadSession {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly fields: WritableObjectFields;
  readonly preconditions: Preconditions;
  /** `X-Upload-Content-Length` of the initiating request, when given. */
  readonly declaredSize: number | undefined;
  /** Bytes persisted so far, in order. */
  chunks: Buffer[];
  /** How many bytes are persisted. */
  received: number;
  /** The object the upload created (as answered), once finished; the content is not kept here. */
  result: GcsObjectResource | undefined;
}

/** The open resumable uploads, by upload id. Kept in memory only. */
export class UploadSessions {
  readonly #sessions = new Map<string, UploadSession>();

  create(init: Omit<UploadSession, 'id' | 'chunks' | 'received' | 'result'>): UploadSession {
    const session: UploadSession = {
      ...init,
      id: randomBytes(18).toString('base64url'),
      chunks: [],
      received: 0,
      result: undefined,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string): UploadSession | undefined {
    return this.#sessions.get(id);
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  clear(): void {
    this.#sessions.clear();
  }

  get size(): number {
    return this.#sessions.size;
  }
}
