import { ContainerClient } from '@azure/storage-blob';
import { InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { createAzureBlobStore } from '../src/index.js';

// A real client pointed at a closed port: constructing a store makes no request.
const container = new ContainerClient('http://127.0.0.1:9/devstoreaccount1/options');

function message(options: unknown): string {
  try {
    createAzureBlobStore(options as never);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('createAzureBlobStore options: the same wording as every package', () => {
  it.each([
    [undefined, 'Invalid option "options": must be an object, got undefined'],
    [{}, 'Invalid option "container": is required (a ContainerClient from @azure/storage-blob'],
    [{ container: {} }, 'Invalid option "container": must be a ContainerClient from @azure/storage-blob'],
    [{ container, prefix: 3 }, 'Invalid option "prefix": must be a string, got 3'],
    [{ container, prefix: '../x' }, 'Invalid option "prefix": must be a valid key prefix'],
    [{ container, name: ' ' }, 'Invalid option "name": must be a non-empty string, got " "'],
    [
      { container, blockSize: 0 },
      'Invalid option "blockSize": must be an integer from 1 to 4194304000 (4000 MiB), got 0',
    ],
    [{ container, concurrency: 65 }, 'Invalid option "concurrency": must be an integer from 1 to 64, got 65'],
    [
      { container, concurency: 2 },
      'Invalid option "concurency": is not a known option (known: container, prefix,',
    ],
  ])('%o', (options, expected) => {
    expect(message(options)).toContain(expected);
  });

  it('keeps the defaults', () => {
    expect(createAzureBlobStore({ container }).name).toBe('azure:devstoreaccount1/options');
    expect(
      createAzureBlobStore({ container, name: 'az', prefix: 'p/', blockSize: 1, concurrency: 64 }).name,
    ).toBe('az');
  });
});
