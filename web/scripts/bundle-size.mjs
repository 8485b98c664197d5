// Prints each built JS chunk's gzipped size and the first load's total (the entry and the
// chunks index.html preloads), and fails the build when the first load is over the budget.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const assets = join(dist, 'assets');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const gz = (file) => gzipSync(readFileSync(join(assets, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const chunks = readdirSync(assets).filter((f) => f.endsWith('.js')).sort();
let firstLoad = 0;
for (const file of chunks) {
  const size = gz(file);
  const initial = html.includes(`assets/${file}`);
  if (initial) firstLoad += size;
  console.log(`${initial ? 'first load' : 'lazy      '}  ${kb(size).padStart(9)} gzip  ${file}`);
}
console.log(`first-load JavaScript: ${kb(firstLoad)} gzipped (budget ${kb(BUDGET_BYTES)})`);
if (firstLoad > BUDGET_BYTES) {
  console.error(`FAIL: the first load is ${kb(firstLoad - BUDGET_BYTES)} over the budget`);
  process.exit(1);
}
