import { API_PROXY, CLOUD_INFO, CLOUDS } from '../clouds.js';
import type { ProxyId } from '../scenarios/types.js';
import { API_REGIONS } from '../topology/pricing-api.js';

/** A lane of the dashboard and the charts: one storage cloud or one pricing API region. */
export interface Lane {
  /** `storage:<target>` or `api:<endpoint>`. */
  readonly id: string;
  readonly group: 'storage' | 'api';
  /** The target (storage) or endpoint (API) name the library uses. */
  readonly target: string;
  readonly label: string;
  /** The fault proxy in front of it. */
  readonly proxy: ProxyId;
}

/** The six lanes: the storage clouds in order of preference, then the API regions. */
export const LANES: readonly Lane[] = Object.freeze([
  ...CLOUDS.map(
    (c): Lane => ({
      id: `storage:${CLOUD_INFO[c].target}`,
      group: 'storage',
      target: CLOUD_INFO[c].target,
      label: CLOUD_INFO[c].label,
      proxy: CLOUD_INFO[c].proxy,
    }),
  ),
  ...API_REGIONS.map(
    (r): Lane => ({ id: `api:${r}`, group: 'api', target: r, label: `pricing ${r}`, proxy: API_PROXY[r] }),
  ),
]);

/** The lane of a target or endpoint name in a group. */
export function laneOf(group: Lane['group'], target: string): Lane | undefined {
  return LANES.find((l) => l.group === group && l.target === target);
}
