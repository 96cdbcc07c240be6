import { describe, expect, it } from 'vitest';
import { type PutShape, planPut, sendsStreamsAsIs } from '../src/put-plan.js';

const MiB = 1024 * 1024;
const limits = { partSize: 8 * MiB, multipartThreshold: 100 * MiB, streamsAsIs: true };

describe('planPut', () => {
  it.each<[string, Partial<PutShape> & Pick<PutShape, 'type' | 'size'>, ReturnType<typeof planPut>]>([
    ['empty bytes', { type: 'bytes', size: 0 }, 'bytes'],
    ['bytes under a part', { type: 'bytes', size: 1024 }, 'bytes'],
    ['bytes over a part, under the threshold', { type: 'bytes', size: 50 * MiB }, 'bytes'],
    ['bytes at the threshold', { type: 'bytes', size: 100 * MiB }, 'bytes'],
    ['bytes over the threshold', { type: 'bytes', size: 100 * MiB + 1 }, 'upload'],
    ['a stream of unknown size', { type: 'stream', size: undefined }, 'upload'],
    ['a stream under a part (buffered by Upload)', { type: 'stream', size: 8 * MiB - 1 }, 'upload'],
    ['an empty stream', { type: 'stream', size: 0 }, 'upload'],
    ['a stream of exactly one part', { type: 'stream', size: 8 * MiB }, 'stream'],
    ['a stream at the threshold', { type: 'stream', size: 100 * MiB }, 'stream'],
    ['a stream over the threshold', { type: 'stream', size: 100 * MiB + 1 }, 'upload'],
    [
      'a stream the client would frame as aws-chunked',
      { type: 'stream', size: 50 * MiB, streamsAsIs: false },
      'upload',
    ],
    ['threshold 0: bytes', { type: 'bytes', size: 1, multipartThreshold: 0 }, 'upload'],
    ['threshold 0: empty bytes', { type: 'bytes', size: 0, multipartThreshold: 0 }, 'bytes'],
    ['threshold 0: a stream', { type: 'stream', size: 50 * MiB, multipartThreshold: 0 }, 'upload'],
    [
      'a threshold under the part size: no streamed PutObject',
      { type: 'stream', size: 6 * MiB, multipartThreshold: 7 * MiB },
      'upload',
    ],
    [
      '5 GiB threshold: a 5 GiB stream',
      { type: 'stream', size: 5 * 1024 * MiB, multipartThreshold: 5 * 1024 * MiB },
      'stream',
    ],
  ])('%s', (_label, shape, plan) => {
    expect(planPut({ ...limits, ...shape })).toBe(plan);
  });
});

describe('sendsStreamsAsIs', () => {
  it.each<[string, Parameters<typeof sendsStreamsAsIs>[0], boolean]>([
    [
      'AWS itself, default checksums',
      { isCustomEndpoint: false, requestChecksumCalculation: async () => 'WHEN_SUPPORTED' },
      true,
    ],
    [
      'a custom endpoint, default checksums',
      { isCustomEndpoint: true, requestChecksumCalculation: async () => 'WHEN_SUPPORTED' },
      false,
    ],
    [
      'a custom endpoint, WHEN_REQUIRED',
      { isCustomEndpoint: true, requestChecksumCalculation: async () => 'WHEN_REQUIRED' },
      true,
    ],
    ['a plain string setting', { isCustomEndpoint: true, requestChecksumCalculation: 'WHEN_REQUIRED' }, true],
    ['nothing known', {}, false],
    [
      'a setting that cannot be read',
      {
        isCustomEndpoint: true,
        requestChecksumCalculation: async () => {
          throw new Error('no');
        },
      },
      false,
    ],
  ])('%s', async (_label, config, expected) => {
    expect(await sendsStreamsAsIs(config)).toBe(expected);
  });
});
