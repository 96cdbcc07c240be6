import type { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, optionError, readOptions } from '@failover/core';
import { SERVER_KEEP_ALIVE_MS } from '../servers/keep-alive.js';
import { DirectoryMirror } from './directory-mirror.js';
import { bucketNameProblem, objectNameProblem } from './names.js';
import { newObject, objectResource } from './object-model.js';
import { type EmulatorState, handleRequest, RequestLog } from './request-handler.js';
import { RewriteTokens } from './rewrite-tokens.js';
import { publicKeyOf } from './signed-url.js';
import { GcsStore } from './store.js';
import type {
  GcsEmulator,
  GcsEmulatorAddress,
  GcsEmulatorOptions,
  GcsObjectResource,
  GcsPutObjectOptions,
  GcsRequestRecord,
  GcsStoredObject,
} from './types.js';
import { UploadSessions } from './upload-sessions.js';

const DEFAULT_MAX_OBJECT_SIZE = 1024 * 1024 * 1024;

interface ResolvedOptions {
  host: string;
  port: number;
  directory: string | undefined;
  buckets: readonly string[];
  maxObjectSize: number;
  requestLogLimit: number;
  signers: [string, KeyObject][];
}

/**
 * Creates a Google Cloud Storage JSON API emulator: an HTTP server (not yet listening; call
 * `start()`) that `@google-cloud/storage` talks to with
 * `new Storage({ apiEndpoint: emulator.origin, projectId: 'test' })`. Buckets, uploads
 * (multipart, media, resumable), downloads with ranges, metadata, listing, copy/rewrite, compose,
 * move and delete, with GCS's JSON shapes, checksums and errors. Options are checked here and a
 * bad one throws an `InvalidOptionError` naming it.
 */
export function createGcsEmulator(options: GcsEmulatorOptions = {}): GcsEmulator {
  const opts = resolveOptions(options);
  const store = new GcsStore(opts.directory === undefined ? undefined : new DirectoryMirror(opts.directory));
  const sessions = new UploadSessions();
  const rewrites = new RewriteTokens();
  const log = new RequestLog(opts.requestLogLimit);
  const signers = new Map(opts.signers);
  let server: Server | undefined;
  let boundPort: number | undefined;
  let loaded = false;

  const origin = (): string => {
    if (boundPort === undefined) throw new Error('The GCS emulator has not been started');
    return formatOrigin(opts.host, boundPort);
  };
  const linkOrigin = (): string => (boundPort === undefined ? formatOrigin(opts.host, opts.port) : origin());

  const state: EmulatorState = {
    store,
    sessions,
    rewrites,
    maxObjectSize: opts.maxObjectSize,
    signers,
    linkOrigin,
    log,
  };

  const emulator: GcsEmulator = {
    async start(): Promise<GcsEmulatorAddress> {
      if (server && boundPort !== undefined) return { origin: origin(), port: boundPort };
      if (!loaded) {
        await store.load();
        loaded = true;
      }
      const next = createServer((req, res) => {
        void handleRequest(state, req, res);
      });
      // Idle connections stay open as a cloud endpoint keeps them (see launchers/keep-alive.cjs):
      // with Node's 5 s, a client reusing a pooled socket just as the server closes it gets
      // ECONNRESET on a loaded machine.
      next.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
      next.headersTimeout = SERVER_KEEP_ALIVE_MS + 1_000;
      next.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        next.once('error', reject);
        next.listen(boundPort ?? opts.port, opts.host, () => {
          next.off('error', reject);
          resolve();
        });
      });
      server = next;
      boundPort = (next.address() as AddressInfo).port;
      for (const bucket of opts.buckets) await emulator.createBucket(bucket);
      return { origin: origin(), port: boundPort };
    },

    async stop(): Promise<void> {
      const current = server;
      if (!current) return;
      server = undefined;
      sessions.clear();
      rewrites.clear();
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },

    get running(): boolean {
      return server !== undefined;
    },
    get origin(): string {
      return origin();
    },
    get port(): number {
      if (boundPort === undefined) throw new Error('The GCS emulator has not been started');
      return boundPort;
    },
    get requests(): readonly GcsRequestRecord[] {
      return log.records();
    },
    clearRequests(): void {
      log.clear();
    },
    trustSigner(clientEmail: string, key: string | KeyObject): void {
      if (typeof clientEmail !== 'string' || !clientEmail.includes('@')) {
        throw new InvalidOptionError('clientEmail', 'must be a service account email');
      }
      signers.set(clientEmail, signerKey('key', key));
    },

    async createBucket(name: string): Promise<void> {
      const problem = typeof name === 'string' ? bucketNameProblem(name) : 'must be a string';
      if (problem !== undefined)
        throw new InvalidOptionError('name', `bucket name ${JSON.stringify(name)} ${problem}`);
      await store.addBucket({
        name,
        timeCreated: new Date().toISOString(),
        location: 'US',
        storageClass: 'STANDARD',
      });
    },
    bucketNames(): string[] {
      return store.buckets().map((b) => b.name);
    },
    async putObject(
      bucket: string,
      name: string,
      data: Uint8Array | string,
      putOptions: GcsPutObjectOptions = {},
    ): Promise<GcsObjectResource> {
      if (!store.bucket(bucket))
        throw new InvalidOptionError('bucket', `no bucket named ${JSON.stringify(bucket)}`);
      const problem = typeof name === 'string' ? objectNameProblem(name) : 'must be a string';
      if (problem !== undefined) throw new InvalidOptionError('name', `object name ${problem}`);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
      const fields = {
        ...(putOptions.contentType === undefined ? {} : { contentType: putOptions.contentType }),
        ...(putOptions.metadata === undefined ? {} : { metadata: { ...putOptions.metadata } }),
      };
      const object = newObject(bucket, name, bytes, fields, store.nextGeneration(), new Date());
      await store.putObject(object);
      return objectResource(object, linkOrigin());
    },
    getObject(bucket: string, name: string): GcsStoredObject | undefined {
      const object = store.object(bucket, name);
      return object && { data: object.data, resource: objectResource(object, linkOrigin()) };
    },
    objectNames(bucket: string): string[] {
      return [...store.sortedNames(bucket)];
    },
    async reset(): Promise<void> {
      sessions.clear();
      rewrites.clear();
      await store.clear();
      loaded = true;
    },
  };
  return emulator;
}

/** A signer's public key from PEM text or a key object; a bad one is an `InvalidOptionError` naming `option`. */
function signerKey(option: string, key: unknown): KeyObject {
  try {
    return publicKeyOf(key as string | KeyObject);
  } catch {
    throw new InvalidOptionError(option, 'must be an RSA public key (PEM text or a KeyObject)');
  }
}

function formatOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function resolveOptions(options: GcsEmulatorOptions): ResolvedOptions {
  const r = readOptions(options);
  const host = r.string('host', { default: '127.0.0.1' });
  const port = r.int('port', { min: 0, max: 65535, default: 0 });
  const directory = r.string('directory', { rule: 'a non-empty path' });
  const buckets = r.array('buckets', { of: 'bucket names' }) ?? [];
  for (const [i, name] of buckets.entries()) {
    const problem = typeof name === 'string' ? bucketNameProblem(name) : 'must be a string';
    if (problem !== undefined)
      throw optionError(r.at('buckets', i), `a valid bucket name (${problem})`, name);
  }
  const maxObjectSize = r.int('maxObjectSize', { min: 1, default: DEFAULT_MAX_OBJECT_SIZE });
  const requestLogLimit = r.int('requestLogLimit', { min: 0, default: 1000 });
  const given = r.check(
    'signers',
    (v): v is Record<string, string | KeyObject> => v !== null && typeof v === 'object' && !Array.isArray(v),
    'an object of public keys by service account email',
  );
  const signers = Object.entries(given ?? {}).map(([email, key]): [string, KeyObject] => [
    email,
    signerKey(`signers.${email}`, key),
  ]);
  r.done();
  return {
    host,
    port,
    directory,
    buckets: [...(buckets as string[])],
    maxObjectSize,
    requestLogLimit,
    signers,
  };
}
