import type { BudgetOptions } from './options.js';

/**
 * A retry budget: a token bucket shared by every call of one router, like the AWS SDK's retry
 * quota. It starts full. A retry takes `retryCost` tokens (`timeoutCost` after a timeout), a
 * hedge takes `retryCost`, and every successful attempt puts `successRefund` back (never above
 * the capacity). When the bucket cannot pay, the retry or hedge is not made; failover to the next
 * target is free.
 */
export class RetryBudget {
  /** Tokens in the bucket now. */
  tokens: number;
  /** Size of the bucket. */
  readonly capacity: number;
  /** Cost of one retry or hedge. */
  readonly retryCost: number;
  /** Cost of a retry after a timeout. */
  readonly timeoutCost: number;
  /** Tokens a successful attempt puts back. */
  readonly successRefund: number;

  constructor(options: Required<BudgetOptions>) {
    this.capacity = options.capacity;
    this.tokens = options.capacity;
    this.retryCost = options.retryCost;
    this.timeoutCost = options.timeoutCost;
    this.successRefund = options.successRefund;
  }

  /** Takes `cost` tokens and returns true, or returns false (taking nothing) when there are too few. */
  tryAcquire(cost: number): boolean {
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Puts `amount` tokens back, never above the capacity. */
  refund(amount: number): void {
    const next = this.tokens + amount;
    this.tokens = Math.min(next, this.capacity);
  }
}
