import { connect, type Socket } from 'node:net';

/**
 * A minimal Redis client for testkit's own tests (the testkit has no Redis client dependency):
 * inline commands, one reply line each.
 */
export class RespLine {
  readonly socket: Socket;
  readonly #waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  #buffer = '';
  /** Replies received so far. */
  received = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      let end = this.#buffer.indexOf('\r\n');
      while (end >= 0) {
        let line = this.#buffer.slice(0, end);
        let rest = this.#buffer.slice(end + 2);
        // A bulk string: `$N` then the data line.
        if (line.startsWith('$') && line !== '$-1') {
          const dataEnd = rest.indexOf('\r\n');
          if (dataEnd < 0) return;
          line = rest.slice(0, dataEnd);
          rest = rest.slice(dataEnd + 2);
        }
        this.#buffer = rest;
        this.received++;
        this.#waiting.shift()?.resolve(line);
        end = this.#buffer.indexOf('\r\n');
      }
    });
    const fail = (err: Error): void => {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<RespLine> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RespLine(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends an inline command; resolves with its reply line (`+PONG`, `+OK`, the bulk data, `$-1`). */
  send(...words: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.socket.write(`${words.join(' ')}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
