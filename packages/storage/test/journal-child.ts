/**
 * A child process for journal-crash.test.ts (run with `node --import tsx`): appends to a file
 * journal as fast as it can from several concurrent workers and prints, after each call resolves,
 * what it acknowledged. The test SIGKILLs it mid-run.
 *
 * Output lines: `A <id> <key> <version>` (append acknowledged), `R <id> <target>` (resolve
 * acknowledged), `C` (a compaction finished).
 */
import { createFileJournal } from '@failover/storage';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: journal-child.ts <dir>');

const journal = createFileJournal({ dir, compactAfterBytes: 16 * 1024 });
journal.on('compacted', () => process.stdout.write('C\n'));
await journal.open();
process.stdout.write('READY\n');

let seq = 0;
const worker = async (w: number): Promise<never> => {
  for (;;) {
    const n = seq++;
    const version = String(n).padStart(10, '0');
    if (n % 2 === 0) {
      // A unique key that is never superseded: every acknowledged entry must survive.
      const id = `u${n}`;
      await journal.append({
        id,
        op: 'put',
        key: `unique/${n}`,
        version,
        holders: ['aws'],
        missing: ['gcs', 'azure'],
        at: Date.now(),
      });
      process.stdout.write(`A ${id} unique/${n} ${version}\n`);
      if (n % 3 === 0) {
        await journal.resolve(id, 'gcs');
        process.stdout.write(`R ${id} gcs\n`);
      }
    } else {
      // A hot key rewritten over and over: old versions are superseded, the file fills with garbage
      // and compacts while the workers go on.
      const id = `h${n}`;
      const key = `hot/${w}`;
      await journal.append({
        id,
        op: n % 5 === 0 ? 'delete' : 'put',
        key,
        version,
        holders: ['aws'],
        missing: ['gcs'],
        at: Date.now(),
      });
      process.stdout.write(`A ${id} ${key} ${version}\n`);
    }
  }
};
await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
