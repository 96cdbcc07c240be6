import type { Socket } from 'node:net';
import type { TcpFault } from './types.js';

/**
 * One direction of a proxied connection: chunks read from `from` are written to `to` in order,
 * late (`delay`) or not at all until the fault is cleared (`stall`).
 */
export class FaultyPipe {
  readonly #to: Socket;
  readonly #held: { chunk: Buffer; due: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #fault: () => TcpFault | null;

  constructor(from: Socket, to: Socket, fault: () => TcpFault | null) {
    this.#to = to;
    this.#fault = fault;
    from.on('data', (chunk: Buffer) => {
      const current = this.#fault();
      const delay = current?.kind === 'delay' ? current.ms : 0;
      this.#held.push({ chunk, due: Date.now() + delay });
      this.pump();
    });
  }

  /** Forwards every held chunk that is due (call again after the fault changed). */
  pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#fault()?.kind === 'stall' || this.#to.destroyed) return;
    const now = Date.now();
    while (this.#held.length > 0) {
      const next = this.#held[0] as { chunk: Buffer; due: number };
      if (next.due > now) {
        this.#timer = setTimeout(() => this.pump(), next.due - now);
        return;
      }
      this.#held.shift();
      this.#to.write(next.chunk);
    }
  }

  /** Drops what is held and stops the timer. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held.length = 0;
  }
}
