import { MAX_PART_SIZE } from './options.js';

/** S3's most parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/**
 * How many parts of a stream of unknown size share one size: after each such run the size
 * doubles (up to S3's 5 GiB part), so such a stream can reach S3's 5 TiB object limit while its
 * first gigabytes are sent in small parts.
 */
export const PARTS_PER_SIZE = 1_000;

/** A function giving the size of each part by its index (0 for the first part). */
export type PartSizes = (index: number) => number;

/**
 * The part sizes of a multipart upload (pure).
 *
 * - A body of known `size` takes parts of `partSize`, or larger ones when `partSize` would need
 *   more than S3's {@link MAX_PARTS}.
 * - A stream of unknown size starts at `partSize` and doubles the size every
 *   {@link PARTS_PER_SIZE} parts, up to 5 GiB: 1,000 parts of 5 MiB (5 GiB), then 1,000 of
 *   10 MiB, and so on. Memory stays at `queueSize` parts of the current size.
 */
export function partSizes(partSize: number, size: number | undefined): PartSizes {
  if (size !== undefined) {
    const fixed = Math.max(partSize, Math.ceil(size / MAX_PARTS));
    return () => fixed;
  }
  return (index) => Math.min(MAX_PART_SIZE, partSize * 2 ** Math.floor(index / PARTS_PER_SIZE));
}

/** The most bytes a stream of unknown size can hold with these part sizes: {@link MAX_PARTS} of them. */
export function largestStream(sizes: PartSizes): number {
  let total = 0;
  for (let i = 0; i < MAX_PARTS; i += PARTS_PER_SIZE) total += sizes(i) * PARTS_PER_SIZE;
  return total;
}
