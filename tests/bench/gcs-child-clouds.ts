import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  createFaultProxy,
  type FaultProxy,
  type GcsLocalServer,
  gcsRetryOptions,
  LOCAL_CLOUD_HOSTNAMES,
  type LocalCloudClients,
  startAzureServer,
  startS3Server,
} from '@failover/testkit';
import { type Storage, Storage as StorageClient } from '@google-cloud/storage';
import type { TargetOrderClouds } from '../support/clouds.js';

/**
 * The three local clouds as `startTargetOrderClouds` starts them (s3rver, the GCS emulator and
 * Azurite, each behind a fault proxy; S3's proxy named so that `dns` works, the others by IP),
 * except that the GCS emulator runs in a child process: what the bench's process measures is
 * then the stores' own memory and CPU, not the emulator's. `gcs.emulator` is not available (it
 * lives in the child): reading it throws.
 */
export async function startCloudsWithGcsChild(buckets: readonly string[]): Promise<TargetOrderClouds> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const s3 = await startS3Server({ buckets });
    cleanups.push(() => s3.stop());
    const azure = await startAzureServer({ buckets });
    cleanups.push(() => azure.stop());
    const child = await startGcsChild(buckets);
    cleanups.push(() => stopChild(child.process));
    const proxy = async (
      target: string,
      flavor: 's3' | 'gcs' | 'azure',
      hostname?: string,
    ): Promise<FaultProxy> => {
      const p = await createFaultProxy({ target, flavor, ...(hostname === undefined ? {} : { hostname }) });
      cleanups.push(() => p.close());
      return p;
    };
    const proxies = [
      await proxy(s3.origin, 's3', LOCAL_CLOUD_HOSTNAMES.aws),
      await proxy(child.origin, 'gcs'),
      await proxy(azure.origin, 'azure'),
    ] as const;
    const gcsClient = (target: string): Storage =>
      new StorageClient({ apiEndpoint: target, projectId: 'test', retryOptions: gcsRetryOptions(0) });
    const app: LocalCloudClients = {
      s3: s3.clientFor(proxies[0].url, { sdkRetries: 0 }),
      gcs: gcsClient(proxies[1].url),
      azure: azure.clientFor(proxies[2].url, { sdkRetries: 0 }),
    };
    cleanups.push(async () => app.s3.destroy());
    const direct = gcsClient(child.origin);
    const gcs = {
      provider: 'gcs',
      origin: child.origin,
      endpoint: child.origin,
      client: direct,
      clientFor: gcsClient,
      async createBucket(name: string): Promise<void> {
        await direct.createBucket(name);
      },
      stop: () => stopChild(child.process),
      get emulator(): never {
        throw new Error('The GCS emulator runs in a child process here: its helpers are not available');
      },
    } as unknown as GcsLocalServer;
    let stopped: Promise<void> | undefined;
    return {
      s3,
      gcs,
      azure,
      proxies,
      app,
      direct: { s3: s3.client, gcs: gcs.client, azure: azure.client },
      stop() {
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts the emulator in a child Node process with this process's flags (tsx); resolves with its origin. */
async function startGcsChild(buckets: readonly string[]): Promise<{ process: ChildProcess; origin: string }> {
  const script = fileURLToPath(new URL('./gcs-emulator-child.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, ...buckets], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`the GCS emulator's process exited (${code}) before it listened`)),
    );
    lines.on('line', (line) => {
      if (line.startsWith('origin ')) resolve(line.slice('origin '.length));
    });
  });
  lines.close();
  return { process: child, origin };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
