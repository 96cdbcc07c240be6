import { Transform, type TransformCallback } from 'node:stream';

/** Passes on only bytes `first` (inclusive) to `last` (exclusive) of the stream written to it. */
export class SliceStream extends Transform {
  private offset = 0;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const at = this.offset;
    this.offset += chunk.byteLength;
    const lo = Math.max(this.first - at, 0);
    const hi = Math.min(this.last - at, chunk.byteLength);
    callback(null, hi > lo ? chunk.subarray(lo, hi) : undefined);
  }
}
