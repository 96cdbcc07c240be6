import { describe, expect, it } from 'vitest';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../src/options.js';
import { largestStream, MAX_PARTS, PARTS_PER_SIZE, partSizes } from '../src/part-sizes.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('partSizes', () => {
  // [case, partSize, body size (undefined: a stream of unknown size), part index, expected size]
  const cases: [string, number, number | undefined, number, number][] = [
    ['known size: partSize', 8 * MiB, GiB, 0, 8 * MiB],
    ['known size: every part alike', 8 * MiB, GiB, 127, 8 * MiB],
    [
      'known size too large for 10,000 parts of partSize',
      5 * MiB,
      100 * GiB,
      0,
      Math.ceil((100 * GiB) / MAX_PARTS),
    ],
    ['unknown size: the first part', MIN_PART_SIZE, undefined, 0, 5 * MiB],
    ['unknown size: the last part of the first run', MIN_PART_SIZE, undefined, PARTS_PER_SIZE - 1, 5 * MiB],
    ['unknown size: the first part of the second run', MIN_PART_SIZE, undefined, PARTS_PER_SIZE, 10 * MiB],
    ['unknown size: the tenth run', MIN_PART_SIZE, undefined, 9 * PARTS_PER_SIZE, 5 * MiB * 512],
    ['unknown size: never above 5 GiB', GiB, undefined, 9 * PARTS_PER_SIZE, MAX_PART_SIZE],
  ];
  it.each(cases)('%s', (_name, partSize, size, index, expected) => {
    expect(partSizes(partSize, size)(index)).toBe(expected);
  });

  it("lets a stream of unknown size reach about S3's 5 TiB object limit from the smallest part", () => {
    const largest = largestStream(partSizes(MIN_PART_SIZE, undefined));
    expect(largest).toBe(5 * MiB * PARTS_PER_SIZE * 1023);
    expect(largest).toBeGreaterThan(4.8 * TiB);
    // With fixed parts of 5 MiB it was 10,000 of them: under 49 GiB.
    expect(largest).toBeGreaterThan(100 * MAX_PARTS * MIN_PART_SIZE);
  });
});
