import { InvalidOptionError, optionError, readOptions } from '@failover/core';
import type { BlobStore, Journal, MultiCloudStoreOptions } from '@failover/storage';
import { createFileJournal, createMemoryJournal } from '@failover/storage';
import { CliError } from '../errors.js';

/**
 * A `failover.config.json`: the same options as `createMultiCloudStore`, with each target described
 * instead of built (JSON cannot hold an SDK client). The CLI builds each client with the SDK
 * installed next to it, from the `client` settings given and the SDK's own credential chain
 * (environment, profile, workload identity); Azure reads its connection string from an
 * environment variable, so no secret needs to be in the file. See docs/cli.md.
 */
interface JsonConfig {
  targets: JsonTarget[];
  journal?: { dir: string } | { memory: true };
  [option: string]: unknown;
}

type JsonTarget = { name: string } & (
  | { s3: { bucket: string; client?: Record<string, unknown>; [option: string]: unknown } }
  | { gcs: { bucket: string; client?: Record<string, unknown>; [option: string]: unknown } }
  | {
      azureBlob: {
        container: string;
        connectionStringEnv?: string;
        containerUrlEnv?: string;
        [option: string]: unknown;
      };
    }
);

type Module = Record<string, unknown>;

/** Imports a package the JSON config needs (an adapter or an SDK), or says how to install it. */
async function load(specifier: string, where: string): Promise<Module> {
  try {
    return (await import(specifier)) as Module;
  } catch (cause) {
    throw new CliError(
      'config',
      `${where}: cannot load ${specifier}; install it in the project next to @failover/cli`,
      { cause },
    );
  }
}

function fn<T>(mod: Module, name: string, specifier: string): T {
  const value = mod[name] ?? (mod.default as Module | undefined)?.[name];
  if (typeof value !== 'function') throw new CliError('config', `${specifier} has no export ${name}`);
  return value as T;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function envValue(
  env: Readonly<Record<string, string | undefined>>,
  variable: unknown,
  path: string,
): string {
  if (typeof variable !== 'string' || variable === '') {
    throw new CliError('config', `${path}: must name an environment variable`);
  }
  const value = env[variable];
  if (value === undefined || value === '') {
    throw new CliError('config', `${path}: the environment variable ${variable} is not set`);
  }
  return value;
}

type Ctor = new (...args: unknown[]) => unknown;
type Factory = (options: Record<string, unknown>) => BlobStore;

async function buildTarget(
  target: unknown,
  index: number,
  env: Readonly<Record<string, string | undefined>>,
): Promise<BlobStore> {
  const path = `targets[${index}]`;
  const t = readOptions(target, path);
  const name = t.string('name', { required: true });
  const o = target as Record<string, unknown>;
  if (isObject(o.s3)) {
    const { client = {}, ...options } = o.s3;
    if (!isObject(client)) throw optionError(t.at('s3.client'), 'an object of S3Client settings', client);
    const sdk = await load('@aws-sdk/client-s3', `${path}.s3`);
    const adapter = await load('@failover/s3', `${path}.s3`);
    const S3Client = fn<Ctor>(sdk, 'S3Client', '@aws-sdk/client-s3');
    return fn<Factory>(
      adapter,
      'createS3Store',
      '@failover/s3',
    )({ ...options, client: new S3Client(client), name });
  }
  if (isObject(o.gcs)) {
    const g = t.object('gcs');
    const bucket = g.string('bucket', { allowEmpty: true, rule: 'a bucket name', required: true });
    const { client = {}, bucket: _bucket, ...options } = o.gcs;
    if (!isObject(client)) throw optionError(g.at('client'), 'an object of Storage settings', client);
    const sdk = await load('@google-cloud/storage', `${path}.gcs`);
    const adapter = await load('@failover/gcs', `${path}.gcs`);
    const Storage = fn<Ctor>(sdk, 'Storage', '@google-cloud/storage');
    const storage = new Storage(client) as { bucket(name: string): unknown };
    return fn<Factory>(
      adapter,
      'createGcsStore',
      '@failover/gcs',
    )({ ...options, bucket: storage.bucket(bucket), name });
  }
  if (isObject(o.azureBlob)) {
    const { connectionStringEnv, containerUrlEnv, container, ...options } = o.azureBlob;
    const sdk = await load('@azure/storage-blob', `${path}.azureBlob`);
    const adapter = await load('@failover/azure-blob', `${path}.azureBlob`);
    let containerClient: unknown;
    if (containerUrlEnv !== undefined) {
      const ContainerClient = fn<Ctor>(sdk, 'ContainerClient', '@azure/storage-blob');
      containerClient = new ContainerClient(
        envValue(env, containerUrlEnv, `${path}.azureBlob.containerUrlEnv`),
      );
    } else {
      if (typeof container !== 'string') {
        throw optionError(t.at('azureBlob.container'), 'a container name', container);
      }
      const service = fn<Ctor>(sdk, 'BlobServiceClient', '@azure/storage-blob') as unknown as {
        fromConnectionString(s: string): { getContainerClient(name: string): unknown };
      };
      const connection = envValue(env, connectionStringEnv, `${path}.azureBlob.connectionStringEnv`);
      containerClient = service.fromConnectionString(connection).getContainerClient(container);
    }
    return fn<Factory>(
      adapter,
      'createAzureBlobStore',
      '@failover/azure-blob',
    )({
      ...options,
      container: containerClient,
      name,
    });
  }
  throw new InvalidOptionError(path, 'must have one of s3, gcs or azureBlob (an object of its settings)');
}

function journalOf(value: unknown): Journal | undefined {
  if (value === undefined) return undefined;
  if (isObject(value) && value.memory === true) return createMemoryJournal();
  if (isObject(value) && typeof value.dir === 'string' && value.dir !== '') {
    return createFileJournal({ dir: value.dir });
  }
  throw optionError('journal', '{ "dir": "<directory>" } or { "memory": true }', value);
}

/** Builds the store options a `failover.config.json` describes (see {@link JsonConfig}). */
export async function storeOptionsFromJson(
  json: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Promise<MultiCloudStoreOptions> {
  readOptions(json).array('targets', { of: 'targets, each { name, s3 | gcs | azureBlob }', required: true });
  const { targets, journal, ...rest } = json as JsonConfig;
  const stores: BlobStore[] = [];
  for (const [i, t] of targets.entries()) stores.push(await buildTarget(t, i, env));
  const built = journalOf(journal);
  return { ...rest, targets: stores, ...(built === undefined ? {} : { journal: built }) };
}
