// Every named difference the differential suite asserts lvsd's behaviour for is a row of the
// README table "Where lvsd deliberately differs from ldirectord", and every one is used by a case.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/lvsd.js';
import { DIFFERENCES } from './lib/differences.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('## Where lvsd deliberately differs from ldirectord'));
const rows = table.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split(' | ')[0]!.slice(2));

// Where the ids are used: the cases, the harness (start/stop steps, the ones always in force) and the CLI test.
const dir = import.meta.dirname;
const sources = [...readdirSync(join(dir, 'cases')).map((f) => join(dir, 'cases', f)), join(dir, 'lib', 'harness.ts'), join(dir, 'lib', 'views.ts'), join(dir, 'cli.test.ts')]
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

for (const [id, d] of Object.entries(DIFFERENCES)) {
  t.ok(rows.some((r) => r.includes(d.readme)), `${id}: README row "${d.readme}"`);
  t.ok(sources.includes(`'${id}'`), `${id}: asserted by a case`);
}
