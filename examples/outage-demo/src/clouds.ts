import type { ProxyId } from './scenarios/types.js';
import type { ApiRegion } from './topology/pricing-api.js';

/** The three storage clouds, in the application's order of preference. */
export const CLOUDS = ['aws', 'gcp', 'azure'] as const;

/** One storage cloud. */
export type Cloud = (typeof CLOUDS)[number];

/** How each cloud is named and reached. */
export interface CloudInfo {
  /** The store's name: the target name in the library's events, status and errors. */
  readonly target: string;
  /** What the dashboard calls it. */
  readonly label: string;
  /** The fault proxy in front of it. */
  readonly proxy: ProxyId;
}

/** Names and proxies of the three clouds. */
export const CLOUD_INFO: Readonly<Record<Cloud, CloudInfo>> = Object.freeze({
  aws: { target: 'aws-us-east-1', label: 'AWS S3 us-east-1', proxy: 's3' },
  gcp: { target: 'gcp-us-central1', label: 'GCS us-central1', proxy: 'gcs' },
  azure: { target: 'azure-eastus', label: 'Azure Blob eastus', proxy: 'azure' },
});

/** The fault proxy in front of each pricing API region. */
export const API_PROXY: Readonly<Record<ApiRegion, ProxyId>> = Object.freeze({
  'aws-us-east-1': 'api-us-east-1',
  'aws-us-west-2': 'api-us-west-2',
  gcp: 'api-gcp',
});

/** The cloud whose store has this target name, if any. */
export function cloudOfTarget(target: string | undefined): Cloud | undefined {
  return CLOUDS.find((c) => CLOUD_INFO[c].target === target);
}
