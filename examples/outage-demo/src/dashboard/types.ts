import type { TimedPhase } from '../scenarios/types.js';

/** What the run tells the screen. Both dashboards (live TTY, plain lines) implement it. */
export interface Dashboard {
  /** A line of its own (setup steps, the final report). Printed above the live view. */
  line(text: string): void;
  /** The live part starts: traffic is flowing. */
  start(): void;
  /** A new phase began. */
  phase(phase: TimedPhase): void;
  /** Something happened worth a line (a breaker opened, repair finished...). */
  event(text: string): void;
  /** The live part ends (the last state stays on screen). */
  stop(): void;
}

/** Where a dashboard writes. */
export interface Output {
  write(text: string): void;
}
