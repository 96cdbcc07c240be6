import { randomBytes } from 'node:crypto';
import { readOptions } from '@failover/core';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { createFaultProxy, type FaultProxy, faults, type RequestMatch } from '../../fault-proxy/index.js';
import { ioBoundsCases } from './cases.js';
import type { IoBoundsCaseContext } from './context.js';
import type { IoBoundsContractOptions, IoBoundsFactory, IoBoundsSubject } from './types.js';
import { ioBoundsUploadCases } from './upload-cases.js';

export type {
  IoBoundsContractOptions,
  IoBoundsFactory,
  IoBoundsSubject,
  IoBoundsTimeouts,
  IoBoundsUploadPhases,
} from './types.js';

/**
 * Registers the I/O bounds suite: no call of a cloud store hangs on a silent or cut connection.
 * The suite puts a fault proxy in front of the real server the factory names and checks, through
 * the adapter's own SDK client: a blackhole fails every operation (get, head, exists, put of a
 * buffer and of a stream, delete, list, copy) with `kind: 'timeout'` and the store's `target`, with
 * short bounds and with the defaults; a download cut, stalled or reset mid-body fails with
 * `kind: 'network'`; refused connections fail with `kind: 'network'`; a streamed upload (16 MiB,
 * more than socket buffers take) whose start, data or commit request the proxy holds fails with
 * `kind: 'timeout'` or `'network'` (with short bounds and, for the held data request, with the
 * defaults), and one whose data request is answered but the answer stalls settles, failing with
 * one of those kinds if at all (an empty answer is complete with its headers); a caller slow to
 * read or to send is not a stall; per-call `timeouts` replace the store's bounds and `0` turns one off; and
 * invalid bounds are refused at once with the exact option path. Nothing asserts how long a call
 * took, so the suite passes on a loaded machine.
 *
 * Every adapter of the library runs it (`@failover/s3`, `@failover/gcs`, `@failover/azure-blob`);
 * run it against your own adapter if it takes the same `timeouts` option.
 *
 * @example
 * import { startS3Server } from '@failover/testkit';
 * import { ioBoundsContract } from '@failover/testkit/contract';
 * import { createS3Store } from '@failover/s3';
 *
 * ioBoundsContract('s3', async () => {
 *   const server = await startS3Server();
 *   await server.createBucket('bounds');
 *   return {
 *     origin: server.origin,
 *     flavor: 's3',
 *     open: (endpoint, timeouts) =>
 *       createS3Store({ client: server.clientFor(endpoint), bucket: 'bounds', ...(timeouts === undefined ? {} : { timeouts: timeouts as object }) }),
 *     cleanup: () => server.stop(),
 *   };
 * });
 */
export function ioBoundsContract(
  name: string,
  makeSubject: IoBoundsFactory,
  options: IoBoundsContractOptions = {},
): void {
  const r = readOptions(options);
  const timeoutMs = r.int('timeoutMs', { min: 1, default: 60_000 });
  r.done();
  const run = `io-bounds-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const big = `${run}-big`;
  const body = Buffer.alloc(512 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
  let subject: IoBoundsSubject | undefined;
  let proxy: FaultProxy | undefined;
  let written = 0;

  const ready = (): { subject: IoBoundsSubject; proxy: FaultProxy } => {
    if (!subject || !proxy)
      throw new Error('The I/O bounds subject is not ready: makeSubject failed or has not run');
    return { subject, proxy };
  };
  const ctx: IoBoundsCaseContext = {
    open: (timeouts) => {
      const { subject: s, proxy: p } = ready();
      return s.open(p.origin, timeouts);
    },
    proxy: () => ready().proxy,
    keys: () => {
      const test = ++written;
      return { big, key: (key: string) => `${run}-${test}-${key}` };
    },
    download: () => ready().subject.download ?? defaultDownload(big),
    upload: () => ready().subject.upload,
    body,
  };

  describe(`I/O bounds contract: ${name}`, () => {
    beforeAll(async () => {
      subject = await makeSubject();
      proxy = await createFaultProxy({ target: subject.origin, flavor: subject.flavor });
      await subject.open(subject.origin, undefined).put(big, body);
    }, timeoutMs);

    afterAll(async () => {
      await proxy?.close();
      await subject?.cleanup?.();
    }, timeoutMs);

    beforeEach(async () => {
      await proxy?.setFault(faults.pass());
    });

    ioBoundsCases(ctx, timeoutMs);
    ioBoundsUploadCases(ctx, timeoutMs);
  });
}

function defaultDownload(key: string): RequestMatch {
  return { method: 'GET', path: new RegExp(`/${key}(\\?|$)`) };
}
