/** The `reason` values the emulator sends in error bodies, as GCS names them. */
export type GcsErrorReason =
  | 'notFound'
  | 'conflict'
  | 'conditionNotMet'
  | 'notModified'
  | 'gone'
  | 'invalid'
  | 'required'
  | 'parseError'
  | 'badRequest'
  | 'requestedRangeNotSatisfiable'
  | 'uploadTooLarge'
  | 'methodNotAllowed'
  | 'backendError';

/**
 * An error answer of the emulator: thrown inside a handler, sent by the server as
 * `{ error: { code, message, errors: [{ domain: 'global', reason, message }] } }`.
 */
export class GcsProblem extends Error {
  /** HTTP status to send. */
  readonly status: number;
  /** GCS's machine-readable reason. */
  readonly reason: GcsErrorReason;
  /** Extra response headers (e.g. `Content-Range` on a 416). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, reason: GcsErrorReason, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'GcsProblem';
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }

  /** The JSON body GCS sends for this error. */
  toBody(): {
    error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
  } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ domain: 'global', reason: this.reason, message: this.message }],
      },
    };
  }
}

/** 404 for a missing bucket, worded as GCS words it. */
export function noSuchBucket(): GcsProblem {
  return new GcsProblem(404, 'notFound', 'The specified bucket does not exist.');
}

/** 404 for a missing object, worded as GCS words it. */
export function noSuchObject(bucket: string, name: string): GcsProblem {
  return new GcsProblem(404, 'notFound', `No such object: ${bucket}/${name}`);
}

/** 412 for a failed `if*Match` condition. */
export function conditionNotMet(): GcsProblem {
  return new GcsProblem(
    412,
    'conditionNotMet',
    'At least one of the pre-conditions you specified did not hold.',
  );
}

/** 400 for an invalid argument; the message says which. */
export function invalid(message: string): GcsProblem {
  return new GcsProblem(400, 'invalid', message);
}

/** 404 for an upload id that is not (or no longer) a session: finished with an error, cancelled, or never opened. */
export function noSuchSession(): GcsProblem {
  return new GcsProblem(
    404,
    'notFound',
    'No such upload session (it failed, was cancelled or never existed).',
  );
}

/** 410 for a resumable upload session past its lifetime (one week). */
export function sessionExpired(): GcsProblem {
  return new GcsProblem(410, 'gone', 'The upload session has expired. Start a new upload.');
}
