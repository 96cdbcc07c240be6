import { execFileSync } from 'node:child_process';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { InvalidOptionError } from '@failover/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faults } from '../src/fault-proxy/index.js';
import { type LocalClouds, startLocalClouds } from '../src/servers/index.js';
import { failure, isRunning, probe } from './server-helpers.js';

const BUCKET = 'clouds';

describe('startLocalClouds', () => {
  let clouds: LocalClouds;

  beforeAll(async () => {
    clouds = await startLocalClouds({ buckets: [BUCKET], hostnames: { azure: false }, seed: 7 });
  });
  afterAll(async () => {
    await clouds?.stop();
  });

  it('puts a named fault proxy in front of each server (or an IP one when told)', () => {
    expect(clouds.proxies.aws.target).toBe(clouds.s3.origin);
    expect(clouds.proxies.gcp.target).toBe(clouds.gcs.origin);
    expect(clouds.proxies.azure.target).toBe(clouds.azure.origin);
    expect(clouds.proxies.aws.host).toBe('aws-us-east-1.failover.test');
    expect(clouds.proxies.gcp.host).toBe('gcp-us-central1.failover.test');
    expect(clouds.proxies.azure.url).toBe(clouds.proxies.azure.origin);
  });

  it('round-trips an object through each app client, readable by the direct client', async () => {
    await clouds.app.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 's3.txt', Body: 'via aws proxy' }));
    const s3Object = await clouds.direct.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 's3.txt' }));
    expect(await s3Object.Body?.transformToString()).toBe('via aws proxy');

    await clouds.app.gcs.bucket(BUCKET).file('gcs.txt').save('via gcp proxy');
    const [gcsBytes] = await clouds.direct.gcs.bucket(BUCKET).file('gcs.txt').download();
    expect(gcsBytes.toString()).toBe('via gcp proxy');

    await clouds.app.azure
      .getContainerClient(BUCKET)
      .getBlockBlobClient('azure.txt')
      .upload('via azure proxy', 15);
    const azureBytes = await clouds.direct.azure
      .getContainerClient(BUCKET)
      .getBlockBlobClient('azure.txt')
      .downloadToBuffer();
    expect(azureBytes.toString()).toBe('via azure proxy');

    expect(clouds.proxies.aws.counts.forwarded).toBeGreaterThan(0);
    expect(clouds.proxies.gcp.counts.forwarded).toBeGreaterThan(0);
    expect(clouds.proxies.azure.counts.forwarded).toBeGreaterThan(0);
  });

  it('a dns fault on the aws proxy fails the app S3 client with ENOTFOUND; gcp still works', async () => {
    await clouds.proxies.aws.setFault(faults.dns());
    try {
      const err = await failure(clouds.app.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 's3.txt' })));
      expect(err.code).toBe('ENOTFOUND');
      const [gcsBytes] = await clouds.app.gcs.bucket(BUCKET).file('gcs.txt').download();
      expect(gcsBytes.toString()).toBe('via gcp proxy');
      // The server itself is fine: the direct client still reads it.
      const s3Object = await clouds.direct.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 's3.txt' }));
      expect(await s3Object.Body?.transformToString()).toBe('via aws proxy');
    } finally {
      await clouds.proxies.aws.setFault(faults.pass());
    }
  });

  it('rejects malformed options naming the option', async () => {
    await expect(startLocalClouds({ hostnames: { gcp: '' } })).rejects.toThrow(InvalidOptionError);
    await expect(startLocalClouds({ hostnames: { gcp: '' } })).rejects.toThrow(/hostnames\.gcp/);
    await expect(startLocalClouds({ seed: 1.5 })).rejects.toThrow(/seed/);
  });

  it('stop() closes the proxies and the servers, and is safe to call twice', async () => {
    const origins = [
      clouds.s3.origin,
      clouds.gcs.origin,
      clouds.azure.origin,
      ...Object.values(clouds.proxies).map((p) => p.origin),
    ];
    await Promise.all([clouds.stop(), clouds.stop()]);
    await clouds.stop();
    for (const origin of origins) expect(await probe(origin)).toBe('ECONNREFUSED');
    expect(isRunning(clouds.s3.pid)).toBe(false);
    expect(isRunning(clouds.azure.pid)).toBe(false);
  });
});

describe('startLocalClouds when a start fails midway', () => {
  it('stops the servers and proxies that did start, and rethrows', async () => {
    const before = childPids();
    // The servers and two proxies start; the azure proxy's name is invalid.
    const err = await failure(startLocalClouds({ hostnames: { azure: 'not a name!' } }));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err.message).toMatch(/hostname/);
    expect(childPids()).toEqual(before); // s3rver and Azurite were stopped
    // The names the started proxies took were released: they can be taken again.
    const again = await startLocalClouds({ hostnames: { gcp: false, azure: false } });
    expect(again.proxies.aws.host).toBe('aws-us-east-1.failover.test');
    await again.stop();
  });
});

/** The ids of this process's child processes (other than `ps` itself). */
function childPids(): string[] {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.endsWith(' ps'))
    .sort();
}
