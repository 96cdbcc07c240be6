import { setPatientTimeout } from '@failover/core';

/**
 * `promise`'s value, or `undefined` when it has not settled within `ms` (a rejection within `ms`
 * passes through; one after it is handled and dropped). The timer does not hold the process open,
 * and is patient with this process's own stalls (`setPatientTimeout`): an answer that came while
 * the process stood still is read before the time is up.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let cancel: () => void = () => undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        cancel = setPatientTimeout(() => resolve(undefined), ms, true);
      }),
    ]);
  } finally {
    cancel();
  }
}
