/**
 * The timed loop of the profiling scripts (put-profile.ts, get-profile.ts): `calls` calls of `one`
 * (given the call's index), `concurrency` at a time; returns calls per second and CPU ms per call
 * of this process.
 */
export async function timedCalls(
  calls: number,
  concurrency: number,
  one: (k: number) => Promise<unknown>,
): Promise<{ perSecond: number; cpuMsPerCall: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await one(next++);
    }),
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { perSecond: (calls / elapsed) * 1000, cpuMsPerCall: (used.user + used.system) / 1000 / calls };
}
