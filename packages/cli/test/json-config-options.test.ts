import { InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { storeOptionsFromJson } from '../src/config/json-config.js';

async function message(json: unknown): Promise<string> {
  const err = await storeOptionsFromJson(json, {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidOptionError);
  return (err as Error).message;
}

describe('failover.config.json shape errors read like every option error', () => {
  it.each([
    [[], 'Invalid option "options": must be an object, got an array'],
    [{}, 'Invalid option "targets": is required (an array of targets, each { name, s3 | gcs | azureBlob })'],
    [{ targets: [5] }, 'Invalid option "targets[0]": must be an object, got 5'],
    [{ targets: [{ s3: {} }] }, 'Invalid option "targets[0].name": is required (a non-empty string)'],
    [
      { targets: [{ name: 'a', s3: { client: 'x' } }] },
      'Invalid option "targets[0].s3.client": must be an object',
    ],
    [
      { targets: [{ name: 'a', gcs: {} }] },
      'Invalid option "targets[0].gcs.bucket": is required (a bucket name)',
    ],
    [
      { targets: [{ name: 'a', azureBlob: { container: 3 } }] },
      '"targets[0].azureBlob.container": must be a container name, got 3',
    ],
    [{ targets: [{ name: 'a' }] }, 'Invalid option "targets[0]": must have one of s3, gcs or azureBlob'],
    [
      { targets: [], journal: { dir: '' } },
      'Invalid option "journal": must be { "dir": "<directory>" } or { "memory": true }',
    ],
  ])('%j', async (json, expected) => {
    expect(await message(json)).toContain(expected);
  });
});
