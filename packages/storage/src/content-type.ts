import { InvalidArgumentError } from './errors.js';

/** The content type stored when `put` is given none. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The longest content type accepted, in characters. */
export const MAX_CONTENT_TYPE_LENGTH = 255;

const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * Returns the content type to store: {@link DEFAULT_CONTENT_TYPE} when none is given, otherwise the
 * given one, which must be a non-empty string of printable ASCII (no line breaks) of at most 255
 * characters. Throws {@link InvalidArgumentError} (`argument: 'contentType'`) otherwise.
 */
export function normalizeContentType(contentType: string | undefined, key?: string): string {
  if (contentType === undefined) return DEFAULT_CONTENT_TYPE;
  const opt = key === undefined ? {} : { key };
  if (typeof contentType !== 'string' || !PRINTABLE.test(contentType) || contentType.trim() === '') {
    throw new InvalidArgumentError('contentType', 'must be a non-empty string of printable ASCII', opt);
  }
  if (contentType.length > MAX_CONTENT_TYPE_LENGTH) {
    throw new InvalidArgumentError(
      'contentType',
      `must be at most ${MAX_CONTENT_TYPE_LENGTH} characters`,
      opt,
    );
  }
  return contentType;
}
