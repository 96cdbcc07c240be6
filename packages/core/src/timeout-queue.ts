/**
 * Shared time limits: one timer per duration instead of one per call.
 *
 * Every entry of a {@link TimeoutQueue} has the same duration, so entries expire in the order they
 * were added: the queue is a FIFO (a doubly linked list of small entries) with a single timer
 * armed for its head. Cancelling an entry unlinks it in O(1) and never touches the timer: when the
 * timer fires and its entry is gone, the queue re-arms for the new head. A queue that empties
 * keeps its timer until the current burst of work is over (a `process.nextTick` check), so
 * back-to-back calls do not pay a `setTimeout`/`clearTimeout` pair each; then the timer is
 * cleared, so no timer outlives the last call and an idle router never keeps the process alive.
 * While entries wait, the timer is a normal (ref'd) one, like a per-call timer would be.
 *
 * A node can also be *staged* ({@link TimeoutQueue.stage}): queued without reading the clock, to
 * be stamped with the time at the end of the current tick (a `process.nextTick` that runs once the
 * current synchronous code and its microtasks are done), or as soon as {@link MAX_STAGED} nodes
 * wait, whichever comes first. A timer only runs between ticks, so a staged node that is cancelled
 * within its tick (an attempt that settled at once) never needed a clock read or a place in the
 * list, and never arms a timer. One that outlives its tick gets a time limit counted from the
 * moment it was stamped: never earlier than the node was staged, later by at most the rest of
 * that tick (under fake timers, which do not move within a tick, exactly on time). The attempt
 * timeouts use it; deadlines and hedges are stamped at once.
 *
 * The timer functions are looked up on `globalThis` when a timer is armed (never captured at load),
 * so fake timers (`vi.useFakeTimers()`) drive the queue. Expiry is judged with `Date.now()`, which
 * every fake-timer library moves in step with its clock: an entry expires once `Date.now()`
 * reaches its `expiresAt`. A wall clock stepped forward therefore ends waiting entries early (the
 * router's deadline checks before a retry already read `Date.now()`); one stepped back does not
 * hold up the entry a timer was armed for, which expires when that timer runs.
 *
 * @internal
 */

/** Called when an entry's time is up, with the entry's argument and the queue's duration (ms). */
export type TimeoutCallback<A> = (arg: A, ms: number) => void;

type Timer = ReturnType<typeof setTimeout>;

/** Staged nodes that make a queue stamp them at once rather than at the end of the tick. */
export const MAX_STAGED = 64;

/** `expiresAt` of a staged node, not stamped yet. */
const STAGED = -1;

/** The method a queue calls on a node whose time is up (a symbol: not part of any public shape). */
export const EXPIRE: unique symbol = Symbol('expire');

/**
 * A place in a {@link TimeoutQueue}: the queue links its nodes in place (no allocation of its
 * own), so an object that needs one time limit can be the node itself (an `Attempt` is, for its
 * attempt timeout); {@link TimeoutEntry} is the node for a plain callback. (An interface, not a
 * base class: a derived class costs its objects a slower construction, on the hot path.)
 */
export interface TimeoutNode {
  /** When the node expires, as a `Date.now()` time (set when it is queued). */
  expiresAt: number;
  /** The queue holding the node; undefined while not queued (expired or cancelled). */
  queue: TimeoutQueue | undefined;
  /** Neighbours in the queue. */
  prev: TimeoutNode | undefined;
  next: TimeoutNode | undefined;
  /** The node's time is up (it is already unlinked); `ms` is the queue's duration. */
  [EXPIRE](ms: number): void;
}

/** One pending time limit. Made by {@link TimeoutQueue.add}; cancel it when the work is done. */
export class TimeoutEntry implements TimeoutNode {
  /** When the entry expires, as a `Date.now()` time. */
  expiresAt = 0;
  /** @internal */
  queue: TimeoutQueue | undefined = undefined;
  /** @internal */
  prev: TimeoutNode | undefined = undefined;
  /** @internal */
  next: TimeoutNode | undefined = undefined;
  readonly #callback: TimeoutCallback<never>;
  readonly #arg: unknown;

  /** @internal Use {@link TimeoutQueue.add}. */
  constructor(callback: TimeoutCallback<never>, arg: unknown) {
    this.#callback = callback;
    this.#arg = arg;
  }

  /** True until the entry expired or was cancelled. */
  get pending(): boolean {
    return this.queue !== undefined;
  }

  /** Removes the entry (O(1)); its callback will not run. Safe to call more than once. */
  cancel(): void {
    this.queue?.remove(this);
  }

  /** Runs the callback (the entry is already unlinked). */
  [EXPIRE](ms: number): void {
    this.#callback(this.#arg as never, ms);
  }
}

/** A FIFO of time limits that all last `ms` milliseconds, driven by one timer. */
export class TimeoutQueue {
  /** The duration of every entry, in ms. */
  readonly ms: number;
  #head: TimeoutNode | undefined;
  #tail: TimeoutNode | undefined;
  #size = 0;
  #timer: Timer | undefined;
  /** The `clearTimeout` matching the `setTimeout` that armed `#timer`. */
  #clear: typeof clearTimeout | undefined;
  /** When the armed timer is due (`Date.now()` at arming plus its delay). */
  #dueAt = 0;
  #firing = false;
  #idleCheck = false;
  /** Nodes staged in this tick and not stamped yet (some may be cancelled since). */
  #staged: TimeoutNode[] | undefined;
  /** Of those, the ones not cancelled: when none is left, stamping has nothing to look at. */
  #stagedLive = 0;
  /** A `process.nextTick` will stamp the staged nodes. */
  #stampDue = false;
  #closed = false;
  readonly #onIdle: ((queue: TimeoutQueue) => void) | undefined;

  /**
   * @param ms - the duration of every entry (an integer from 1 to 2147483647).
   * @param onIdle - called when the queue is empty and its timer stopped.
   */
  constructor(ms: number, onIdle?: (queue: TimeoutQueue) => void) {
    this.ms = ms;
    this.#onIdle = onIdle;
  }

  /** Entries waiting. */
  get size(): number {
    return this.#size;
  }

  /** True while a timer is armed (a live one, or an idle one about to be cleared). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Adds an entry expiring `ms` after `now`: `callback(arg, ms)` runs then unless the entry is
   * cancelled first. `now` must not be earlier than the previous entry's (pass `Date.now()`).
   */
  add<A>(callback: TimeoutCallback<A>, arg: A, now: number = Date.now()): TimeoutEntry {
    const entry = new TimeoutEntry(callback as TimeoutCallback<never>, arg);
    this.insert(entry, now);
    return entry;
  }

  /**
   * Queues `node` (not queued anywhere now) to expire `ms` after `now`: its `expire(ms)` runs then
   * unless it is cancelled first. `now` must not be earlier than the previous node's.
   */
  insert(node: TimeoutNode, now: number): void {
    node.queue = this;
    this.#link(node, now);
  }

  /**
   * Queues `node` (not queued anywhere now) without a time yet: it is stamped with `Date.now()` at
   * the end of the current tick (or once {@link MAX_STAGED} nodes are staged), then expires `ms`
   * after that, unless it is cancelled first. No clock read and no timer for a node cancelled
   * within its tick.
   */
  stage(node: TimeoutNode): void {
    node.queue = this;
    node.expiresAt = STAGED;
    let staged = this.#staged;
    if (staged === undefined) {
      staged = [];
      this.#staged = staged;
      if (!this.#stampDue) {
        this.#stampDue = true;
        process.nextTick(TimeoutQueue.#stampDueNow, this);
      }
    }
    staged.push(node);
    this.#stagedLive++;
    if (staged.length >= MAX_STAGED) this.#stamp();
  }

  /** Nodes staged and not stamped yet, cancelled ones included (for tests). */
  get staged(): number {
    return this.#staged?.length ?? 0;
  }

  static #stampDueNow(queue: TimeoutQueue): void {
    queue.#stampDue = false;
    queue.#stamp();
  }

  /** Stamps the staged nodes still queued with the time now and links them. */
  #stamp(): void {
    const staged = this.#staged;
    if (staged === undefined) return;
    this.#staged = undefined;
    let live = this.#stagedLive;
    this.#stagedLive = 0;
    // Most often every staged node was cancelled already: nothing to read, not even the clock.
    const now = live > 0 ? Date.now() : 0;
    for (let i = 0; i < staged.length && live > 0; i++) {
      const node = staged[i]!;
      // Cancelled (its queue cleared), or stamped already (staged twice): skip.
      if (node.queue !== this || node.expiresAt !== STAGED) continue;
      this.#link(node, now);
      live--;
    }
    if (this.#size === 0) this.#emptied();
  }

  /** Appends `node` (its `queue` set) to the list, expiring `ms` after `now`. */
  #link(node: TimeoutNode, now: number): void {
    node.expiresAt = now + this.ms;
    const tail = this.#tail;
    if (tail === undefined) this.#head = node;
    else {
      tail.next = node;
      node.prev = tail;
    }
    this.#tail = node;
    this.#size++;
    // An armed timer is due no later than any node already here, so no later than this one.
    if (this.#timer === undefined && !this.#firing) this.#arm(this.ms, now);
  }

  /** Unlinks `entry` (a no-op when it is not in this queue). */
  remove(entry: TimeoutNode): void {
    if (entry.queue !== this) return;
    if (entry.expiresAt === STAGED) {
      // Not linked yet: the stamping skips it.
      entry.queue = undefined;
      this.#stagedLive--;
      return;
    }
    this.#unlink(entry);
    if (this.#size === 0) this.#emptied();
  }

  /**
   * The owner is closing: an empty queue stops its timer now, and from now on the timer stops as
   * soon as the queue empties. Entries still waiting keep their time limits (staged ones are
   * stamped now).
   */
  close(): void {
    this.#closed = true;
    // Staged nodes are stamped now (an emptied closed queue then stops at once).
    if (this.#staged !== undefined) this.#stamp();
    else if (this.#size === 0) this.#stop();
  }

  #unlink(entry: TimeoutNode): void {
    const { prev, next } = entry;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    entry.queue = undefined;
    this.#size--;
  }

  /** The queue just emptied: stop the timer, now if closed, else once the current work is done. */
  #emptied(): void {
    if (this.#closed) {
      this.#stop();
      return;
    }
    if (this.#idleCheck) return;
    this.#idleCheck = true;
    process.nextTick(TimeoutQueue.#checkIdle, this);
  }

  static #checkIdle(queue: TimeoutQueue): void {
    queue.#idleCheck = false;
    // Staged nodes will be stamped (and the queue checked again) when their tick ends.
    if (queue.#size === 0 && queue.#staged === undefined) queue.#stop();
  }

  /** Clears the timer (the queue is empty) and tells the owner. */
  #stop(): void {
    const timer = this.#timer;
    if (timer !== undefined) {
      this.#timer = undefined;
      this.#clear?.(timer);
      this.#clear = undefined;
    }
    this.#onIdle?.(this);
  }

  #arm(delay: number, now: number): void {
    this.#dueAt = now + delay;
    this.#clear = globalThis.clearTimeout;
    this.#timer = globalThis.setTimeout(TimeoutQueue.#timerFired, delay, this);
  }

  static #timerFired(queue: TimeoutQueue): void {
    queue.#expire();
  }

  /** Expires every entry whose time is up, then re-arms for the next one (or stops). */
  #expire(): void {
    this.#timer = undefined;
    this.#clear = undefined;
    // The timer ran at least its delay: time is at least `#dueAt` even if the wall clock went back.
    const now = Math.max(Date.now(), this.#dueAt);
    this.#firing = true;
    try {
      for (let e = this.#head; e !== undefined && e.expiresAt <= now; e = this.#head) {
        this.#unlink(e);
        e[EXPIRE](this.ms);
      }
    } finally {
      // Even if a callback threw: the entries left keep a timer.
      this.#firing = false;
      const head = this.#head;
      if (head !== undefined) {
        const at = Date.now();
        this.#arm(Math.min(this.ms, Math.max(1, head.expiresAt - at)), at);
      } else if (this.#staged === undefined) this.#onIdle?.(this);
    }
  }
}

/** Told when a {@link Timeouts} gets its first pending time limit and when it has none left. */
export interface TimeoutsWatcher {
  busy(): void;
  idle(): void;
}

/**
 * A router's time limits: one {@link TimeoutQueue} per distinct duration (usually one or two: the
 * attempt timeout and a deadline), created on first use and dropped when idle.
 *
 * @internal
 */
export class Timeouts {
  readonly #byMs = new Map<number, TimeoutQueue>();
  #last: TimeoutQueue | undefined;
  #closed = false;
  readonly #watcher: TimeoutsWatcher | undefined;
  readonly #dropIdle = (queue: TimeoutQueue): void => {
    if (this.#byMs.get(queue.ms) === queue) {
      this.#byMs.delete(queue.ms);
      if (this.#byMs.size === 0) this.#watcher?.idle();
    }
    if (this.#last === queue) this.#last = undefined;
  };

  /** @param watcher - told when the first queue appears and when the last one is dropped. */
  constructor(watcher?: TimeoutsWatcher) {
    this.#watcher = watcher;
  }

  /** Adds an entry expiring `ms` after `now`; see {@link TimeoutQueue.add}. */
  add<A>(ms: number, callback: TimeoutCallback<A>, arg: A, now: number = Date.now()): TimeoutEntry {
    const entry = new TimeoutEntry(callback as TimeoutCallback<never>, arg);
    this.#queue(ms).insert(entry, now);
    return entry;
  }

  /** Stages `node` to expire `ms` after the end of this tick; see {@link TimeoutQueue.stage}. */
  stage(ms: number, node: TimeoutNode): void {
    this.#queue(ms).stage(node);
  }

  /** Queues `node` to expire `ms` after `now`; see {@link TimeoutQueue.insert}. */
  insert(ms: number, node: TimeoutNode, now: number): void {
    this.#queue(ms).insert(node, now);
  }

  /** The queue for `ms`, made on first use. */
  #queue(ms: number): TimeoutQueue {
    let queue = this.#last;
    if (queue === undefined || queue.ms !== ms) {
      queue = this.#byMs.get(ms);
      if (queue === undefined) {
        queue = new TimeoutQueue(ms, this.#dropIdle);
        if (this.#closed) queue.close();
        this.#byMs.set(ms, queue);
        if (this.#byMs.size === 1) this.#watcher?.busy();
      }
      this.#last = queue;
    }
    return queue;
  }

  /** Queues with entries or an armed timer (for tests and diagnostics). */
  get queues(): number {
    return this.#byMs.size;
  }

  /** Stops idle timers now; queues still holding entries stop theirs as soon as they empty. */
  close(): void {
    this.#closed = true;
    for (const queue of [...this.#byMs.values()]) queue.close();
  }
}
