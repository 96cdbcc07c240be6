import { describe, it } from 'vitest';
import { formatSoak, runSoak } from './jepsen.js';
import { expectSoakClean, SOAK_LIMIT_MS } from './jepsen-expect.js';

/**
 * The small seeded Jepsen-style run of `npm test`: about 1,500 calls over the three local clouds
 * behind fault proxies switching among every fault kind (a cloud coming back empty included),
 * the writer process SIGKILLed and restarted on its journal, then repair and reconcile to
 * completion. Every acknowledged write must survive, no read may be corrupt or stale (during the
 * soak, after it through the store, and in each cloud's bucket), and nothing overwritten may come
 * back. No timing is asserted. Set JEPSEN_SEED to replay a seed; JEPSEN_KEEP=1 keeps the journal
 * directory (every append and resolve of the run) for a post-mortem.
 *
 * One thing is not a violation: a read that finds nothing after every copy of the newest
 * acknowledged put was destroyed (a degraded write, acknowledged with one cloud up, whose only
 * copy a wiped cloud held). The fault schedule records, right after each wipe, what survived on
 * the other clouds, so the checker knows it is truly gone; such reads are counted as justified
 * losses and printed. Serving an OLDER version instead is still stale.
 */
const SEED = Number(process.env.JEPSEN_SEED ?? 20261202);
/** JEPSEN_STALLS: times the writer is stalled (SIGSTOP 0.5 to 3 s, calls in flight). Default 2. */
// For longer explorations: JEPSEN_OPS (calls, default 1500), JEPSEN_LARGE_BYTES (the largest big
// object, default 160 KiB), JEPSEN_SMALL_PARTS=1 (adapters' multipart, resumable and block-list
// paths from small sizes, child-stores.ts), JEPSEN_READ_BUFFER (the writer's `reads.bufferBytes`;
// default the store's own, 64 KiB), JEPSEN_AMNESIA (clouds wiped, at most; default 1: with more, a
// wipe can land while the last one's restore runs), JEPSEN_WRITES (`primary`, `mirror` or a
// quorum; default the store's default; `primary` keeps its documented loss window: with
// JEPSEN_AMNESIA=0).
const STALLS = Number(process.env.JEPSEN_STALLS ?? 2);

describe('Jepsen-style soak of the multi-cloud store (default write options)', () => {
  it(
    `loses, corrupts, serves stale or resurrects nothing (seed ${SEED})`,
    async () => {
      const result = await runSoak({
        seed: SEED,
        ops: Number(process.env.JEPSEN_OPS ?? 1500),
        crashes: 3,
        stalls: STALLS,
        amnesia: Number(process.env.JEPSEN_AMNESIA ?? 1),
        largeBytes: Number(process.env.JEPSEN_LARGE_BYTES ?? 160 * 1024),
      });
      const text = formatSoak(result);
      const summary = `seed ${SEED} (replay: JEPSEN_SEED=${SEED} npx vitest run tests/multi-cloud/jepsen.test.ts)\n${text}`;
      console.info(summary);
      expectSoakClean(result, summary);
    },
    SOAK_LIMIT_MS,
  );
});
