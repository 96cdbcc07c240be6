import { formatSoak, runSoak } from '../multi-cloud/jepsen.js';

/**
 * The Jepsen-style soak as a benchmark case (`node --import tsx bench/index.ts jepsen`): 10,000
 * calls (`JEPSEN_OPS`) with seed `JEPSEN_SEED`, 15 writer crashes and 4 clouds coming back empty,
 * then repair, reconcile and the checker. Prints what ran, the app-visible errors by kind and
 * whether each was justified, and lost / corrupt / stale / resurrected per cloud and through the
 * store. Exits non-zero when the checker found anything.
 */
export async function runJepsenBench(): Promise<void> {
  const ops = Number(process.env.JEPSEN_OPS ?? 10_000);
  const seed = Number(process.env.JEPSEN_SEED ?? 7_1337);
  const crashes = Number(process.env.JEPSEN_CRASHES ?? Math.max(1, Math.round(ops / 650)));
  const amnesia = Number(process.env.JEPSEN_AMNESIA ?? Math.max(1, Math.round(ops / 2500)));
  console.log(
    `Jepsen-style soak: ${ops} calls, seed ${seed}, ${crashes} writer crashes, ${amnesia} clouds wiped\n`,
  );
  const result = await runSoak({
    seed,
    ops,
    crashes,
    amnesia,
    log: (line) => process.stderr.write(`jepsen: ${line}\n`),
  });
  console.log(formatSoak(result));
  const t = result.check.total;
  if (t.lost + t.corrupt + t.stale + t.resurrected > 0 || result.harnessError !== undefined)
    process.exitCode = 1;
}
