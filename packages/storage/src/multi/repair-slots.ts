import { type CopyOutcome, nextPace, type RepairPace, startPace } from './repair-pace.js';

/** One target's pace in a pass: its limit, the copies it runs, the copies waiting for a slot. */
interface TargetSlots {
  pace: RepairPace;
  running: number;
  readonly waiting: (() => void)[];
}

/**
 * The copies a repair pass runs at once, per target: each target has its own pace (repair-pace.ts),
 * so a cloud that takes copies fast gets more at once, and one that fails or slows down gets fewer,
 * whatever the others do. A copy takes a slot of its target ({@link RepairSlots.take}) and gives it
 * back with its outcome ({@link RepairSlots.give}), which moves the target's pace.
 */
export class RepairSlots {
  readonly #targets = new Map<string, TargetSlots>();
  readonly #floor: number;
  readonly #ceiling: number;

  constructor(floor: number, ceiling: number) {
    this.#floor = floor;
    this.#ceiling = ceiling;
  }

  /** The most copies the whole pass runs at once: every target at its ceiling. */
  limitFor(targets: number): number {
    return this.#ceiling * Math.max(1, targets);
  }

  /** Copies `target` may run at once now. */
  limitOf(target: string): number {
    return this.#of(target).pace.limit;
  }

  /** Waits for a slot of `target`. */
  async take(target: string): Promise<void> {
    const slots = this.#of(target);
    while (slots.running >= slots.pace.limit)
      await new Promise<void>((resolve) => slots.waiting.push(resolve));
    slots.running++;
  }

  /** Gives a slot of `target` back; `outcome` (none for a copy that was skipped) moves its pace. */
  give(target: string, outcome: CopyOutcome | undefined): void {
    const slots = this.#of(target);
    slots.running--;
    if (outcome !== undefined) slots.pace = nextPace(slots.pace, outcome, this.#floor, this.#ceiling);
    // Wake as many as may run now (each checks again: another may have taken the slot first).
    let free = slots.pace.limit - slots.running;
    while (free-- > 0 && slots.waiting.length > 0) slots.waiting.shift()?.();
  }

  #of(target: string): TargetSlots {
    let slots = this.#targets.get(target);
    if (slots === undefined) {
      slots = { pace: startPace(this.#floor), running: 0, waiting: [] };
      this.#targets.set(target, slots);
    }
    return slots;
  }
}
