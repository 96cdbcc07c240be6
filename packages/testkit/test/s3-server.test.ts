import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { InvalidOptionError } from '@failover/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFaultProxy } from '../src/fault-proxy/index.js';
import { type S3LocalServer, startS3Server } from '../src/servers/index.js';
import { isRunning, probe } from './server-helpers.js';

describe('startS3Server', () => {
  let s3: S3LocalServer;

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ['alpha', 'beta'] });
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('describes itself and creates the buckets asked for', async () => {
    expect(s3.provider).toBe('s3');
    expect(s3.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s3.endpoint).toBe(s3.origin);
    expect(await probe(s3.origin)).toBe('connected');
    await s3.client.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    await s3.client.send(new HeadBucketCommand({ Bucket: 'beta' }));
    await s3.createBucket('alpha'); // idempotent
    await s3.createBucket('gamma');
    await s3.createBucket('gamma');
    await s3.client.send(new HeadBucketCommand({ Bucket: 'gamma' }));
  });

  it('round-trips objects, streams included, with metadata', async () => {
    await s3.client.send(
      new PutObjectCommand({ Bucket: 'alpha', Key: 'dir/a.txt', Body: 'hello', Metadata: { owner: 'me' } }),
    );
    const got = await s3.client.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/a.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    expect(got.Metadata).toEqual({ owner: 'me' });

    // A stream body must be stored as sent (no aws-chunked framing inside the object).
    const big = Buffer.alloc(300_000, 7);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'alpha',
        Key: 'big.bin',
        Body: Readable.from([big]),
        ContentLength: big.length,
      }),
    );
    const back = await s3.client.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'big.bin' }));
    expect(Buffer.from(await back.Body!.transformToByteArray()).equals(big)).toBe(true);

    await s3.client.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'big.bin' }));
  });

  it('lists more than one page with continuation tokens (the legacy-provider launcher works)', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `page/${i}`);
    for (const key of keys)
      await s3.client.send(new PutObjectCommand({ Bucket: 'beta', Key: key, Body: key }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: 'beta', Prefix: 'page/', MaxKeys: 3, ContinuationToken: token }),
      );
      pages++;
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('clientFor gives a client with the same settings for another origin (a fault proxy)', async () => {
    const proxy = await createFaultProxy({ target: s3.origin, flavor: 's3' });
    const viaProxy = s3.clientFor(proxy.origin);
    try {
      await viaProxy.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'proxied.txt', Body: 'via proxy' }));
      const got = await s3.client.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'proxied.txt' }));
      expect(await got.Body?.transformToString()).toBe('via proxy');
      expect(proxy.counts.forwarded).toBe(1);
      expect(await viaProxy.config.maxAttempts()).toBe(1);
      const retrying = s3.clientFor(proxy.origin, { sdkRetries: 3 });
      expect(await retrying.config.maxAttempts()).toBe(4);
      retrying.destroy();
    } finally {
      viaProxy.destroy();
      await proxy.close();
    }
  });

  it('rejects bad options, naming them', async () => {
    await expect(startS3Server({ sdkRetries: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(startS3Server({ buckets: [''] })).rejects.toMatchObject({ option: 'buckets[0]' });
    expect(() => s3.clientFor('not a url')).toThrow(InvalidOptionError);
  });
});

describe('startS3Server: stop', () => {
  it('stops the child, closes the port and removes the data; twice is fine', async () => {
    const s3 = await startS3Server({ sdkRetries: 2, buckets: ['gone'] });
    expect(await s3.client.config.maxAttempts()).toBe(3);
    expect(isRunning(s3.pid)).toBe(true);
    expect(existsSync(s3.directory)).toBe(true);
    await Promise.all([s3.stop(), s3.stop()]);
    await s3.stop();
    expect(isRunning(s3.pid)).toBe(false);
    expect(await probe(s3.origin)).toBe('ECONNREFUSED');
    expect(existsSync(s3.directory)).toBe(false);
  });
});

describe('startS3Server: orphans', () => {
  it('the server exits when the process that started it is killed without cleanup', async () => {
    const servers = new URL('../src/servers/index.ts', import.meta.url).href;
    const code =
      `const { startS3Server } = await import(${JSON.stringify(servers)});` +
      'const s3 = await startS3Server();' +
      'console.log(JSON.stringify({ pid: s3.pid, directory: s3.directory }));' +
      'setInterval(() => {}, 1000);';
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let directory: string | undefined;
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        let out = '';
        parent.stdout.setEncoding('utf8');
        parent.stdout.on('data', (text: string) => {
          out += text;
          const line = out.split('\n').find((l) => l.startsWith('{"pid"'));
          if (!line) return;
          const started = JSON.parse(line) as { pid: number; directory: string };
          directory = started.directory;
          resolve(started.pid);
        });
        parent.once('exit', (exitCode) => reject(new Error(`parent exited early (${exitCode}): ${out}`)));
      });
      expect(isRunning(pid)).toBe(true);
      parent.kill('SIGKILL');
      await vi.waitFor(() => expect(isRunning(pid)).toBe(false), { timeout: 15_000, interval: 50 });
    } finally {
      parent.kill('SIGKILL');
      // Nobody was left to remove the data directory of the killed parent.
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  });
});
