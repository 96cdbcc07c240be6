import { runDemo } from '../src/index.js';

const r = await runDemo({
  scenario: 'all-clouds-down',
  durationSec: 15,
  seed: 3,
  live: false,
  reportPath: null,
  out: { write: () => {} },
});
const v = r.verification;
console.log(
  JSON.stringify({
    switches: (r as any).switches,
    ops: r.operations,
    writes: r.writes,
    keys: v.keys,
    live: v.liveKeys,
    deleted: v.deletedKeys,
    uncertain: v.uncertainKeys,
    errors: {
      total: r.appErrors.total,
      byPhase: r.appErrors.byPhase,
      byOp: r.appErrors.byOp,
      outside: r.appErrors.outsideAllowedPhases,
    },
    failed: r.checks.filter((c) => !c.ok),
  }),
);
