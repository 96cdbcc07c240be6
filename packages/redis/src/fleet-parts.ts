import type { FleetPublisher } from './fleet-publisher.js';
import type { RemoteBreakers } from './fleet-remote.js';

/**
 * What the parts of a fleet health (fleet.ts) share: the publisher of this instance's openings,
 * the fleet's state applied here, the targets this instance's router has open (kept up to date by
 * fleet-router-events.ts), and whether the fleet health was closed.
 *
 * @internal
 */
export interface FleetParts {
  readonly publisher: FleetPublisher;
  readonly remote: RemoteBreakers;
  readonly openHere: Set<string>;
  readonly isClosed: () => boolean;
}
