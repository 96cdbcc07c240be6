import { describe, expect, it } from 'vitest';
import { formatSoak, runSoak } from './jepsen.js';

/**
 * The Jepsen-style soak in fleet mode (issue 11): the same calls, faults and checker as
 * jepsen.test.ts, made by two app instances (separate processes) that share one Redis journal
 * and their breakers. Each call goes to an instance picked at random, so a write on one is often
 * followed by a read or an overwrite on the other, and the SIGKILLs land on either; at the end one
 * instance settles what both left. Fleet-wide read-your-writes (Redis up throughout): no read on
 * any instance may be stale, nothing acknowledged may be lost, nothing overwritten may come back.
 * No timing is asserted. JEPSEN_FLEET_SEED replays a seed.
 */
const SEED = Number(process.env.JEPSEN_FLEET_SEED ?? 20261204);
/** JEPSEN_FLEET_INSTANCES: more instances, for a longer exploration (default 2). */
const INSTANCES = Number(process.env.JEPSEN_FLEET_INSTANCES ?? 2);
/** JEPSEN_FLEET_REDIS=1: Redis is also killed and paused during the soak. */
const REDIS_FAULTS = process.env.JEPSEN_FLEET_REDIS === '1';

describe('Jepsen-style soak of a fleet of two instances on one Redis (default write options)', () => {
  it(`loses, corrupts, serves stale or resurrects nothing on either instance (seed ${SEED})`, async () => {
    const result = await runSoak({
      seed: SEED,
      ops: 800,
      crashes: 3,
      amnesia: 1,
      largeBytes: 160 * 1024,
      instances: INSTANCES,
      redisFaults: REDIS_FAULTS,
    });
    const text = formatSoak(result);
    const summary = `seed ${SEED} (replay: JEPSEN_FLEET_SEED=${SEED} npx vitest run tests/multi-cloud/jepsen-fleet.test.ts)\n${text}`;
    console.info(summary);
    expect(result.harnessError, summary).toBeUndefined();
    expect(result.outcomes.ok, summary).toBeGreaterThan(0);
    expect(result.settle.backlogAfter, summary).toBe(0);
    expect(result.check.total, summary).toEqual({ lost: 0, corrupt: 0, stale: 0, resurrected: 0 });
    expect(result.check.divergentKeys, summary).toEqual([]);
  }, 240_000);
});
