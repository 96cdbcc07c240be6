import type { FileHandle } from 'node:fs/promises';

/** What {@link scanLines} found. */
export interface ScanResult {
  /** The offset just after the last newline: where complete lines end. */
  readonly end: number;
  /** How many bytes the file has (more than `end` when its last line has no newline). */
  readonly size: number;
  /** How many complete lines were read. */
  readonly lines: number;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a file from its start in chunks (memory stays flat whatever the file's size) and calls
 * `onLine` with each complete line, without its newline, and its 1-based number. Bytes after the
 * last newline are not passed on; `end` and `size` tell whether there are any.
 */
export async function scanLines(
  handle: FileHandle,
  onLine: (line: Buffer, lineNumber: number) => void,
): Promise<ScanResult> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let position = 0;
  let end = 0;
  let lines = 0;
  let carry: Buffer[] = [];
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    const data = chunk.subarray(0, bytesRead);
    let from = 0;
    for (let nl = data.indexOf(0x0a, from); nl >= 0; nl = data.indexOf(0x0a, from)) {
      const piece = data.subarray(from, nl);
      const line = carry.length === 0 ? Buffer.from(piece) : Buffer.concat([...carry, piece]);
      carry = [];
      lines++;
      end = position + nl + 1;
      onLine(line, lines);
      from = nl + 1;
    }
    if (from < bytesRead) carry.push(Buffer.from(data.subarray(from)));
    position += bytesRead;
  }
  return { end, size: position, lines };
}
