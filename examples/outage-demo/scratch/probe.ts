import { readFile } from 'node:fs/promises';
import { runDemo } from '../src/index.js';

const r = await runDemo({
  durationSec: 15,
  seed: 7,
  live: false,
  reportPath: '/tmp/ops-otel/rep/report.html',
  out: { write: () => {} },
});
console.log(JSON.stringify(r.failovers), r.ok);
const s = JSON.parse(await readFile('/tmp/ops-otel/rep/report.spans.json', 'utf8'));
console.log(JSON.stringify(s.groups.filter((g: any) => g.router === 'orders')));
console.log(JSON.stringify(s.examples));
