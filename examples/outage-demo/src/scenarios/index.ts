export { applyPhase, isFaulty } from './apply.js';
export { SCENARIOS } from './catalog.js';
export { phaseAt, timePhases } from './timing.js';
export {
  type Phase,
  PROXY_IDS,
  type ProxyId,
  SCENARIO_IDS,
  type Scenario,
  type ScenarioId,
  type TimedPhase,
} from './types.js';
