export { parseCli, USAGE, UsageError } from './cli/args.js';
export type { FleetInstanceSummary, FleetSummary } from './fleet/summary.js';
export { main } from './main.js';
export { DEFAULTS, type DemoOptions } from './options.js';
export type { AppErrorSummary, Check, DemoReport } from './report/model.js';
export { runDemo } from './run.js';
export { SCENARIOS } from './scenarios/catalog.js';
export { type Phase, SCENARIO_IDS, type Scenario, type ScenarioId } from './scenarios/types.js';
export type { CloudVerification, Verification } from './verify/verify.js';
