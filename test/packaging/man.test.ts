// The man pages are generated (packaging/man.js): lvsd.cf(5) from README's directive tables,
// lvsd(8)'s OPTIONS from `lvsd --help`. These tests keep the sources whole: every directive the
// parser knows has a row, every row is a directive, every option has an entry, and man(1)
// renders both pages without a warning.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error plain JS without types
import { directiveTables, manPages } from '../../packaging/man.js';
import { KNOWN_DIRECTIVES, DEPRECATED_DIRECTIVES } from '../../src/config/directives.js';
import { CLI_OPTIONS } from '../../src/cli.js';
import { hasCommand, tempDir } from '../log/helpers.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
type Row = { names: string[]; value: string; dflt: string; meaning: string };
const rows = (directiveTables(readme) as { heading: string; rows: Row[] }[]).flatMap((tb) => tb.rows);

t.test("README's directive tables name every directive, once", async (t) => {
  const named = rows.flatMap((r) => r.names);
  const known = [...KNOWN_DIRECTIVES, ...DEPRECATED_DIRECTIVES];
  t.same(known.filter((d) => !named.includes(d)), [], 'every directive the parser knows has a row');
  t.same(named.filter((d) => !known.includes(d)), [], 'every row is a directive the parser knows');
  t.same(named.filter((d, i) => named.indexOf(d) !== i), [], 'no directive twice');
  t.same(rows.filter((r) => !r.meaning || !r.value || !r.dflt).map((r) => r.names), [], 'no empty cell');
});

t.test('the pages carry the directives and the options', async (t) => {
  const pages = (await manPages({ version: '9.9.9', date: '2026-01-01' })) as Record<string, string>;
  for (const d of [...KNOWN_DIRECTIVES, ...DEPRECATED_DIRECTIVES]) t.match(pages['lvsd.cf.5'], `\\fB${d}\\fR`, d);
  const options = pages['lvsd.8']!.split('\n.SH OPTIONS\n')[1]!.split('\n.SH ')[0]!;
  for (const [name, o] of Object.entries(CLI_OPTIONS)) {
    const where = name === 'to' ? pages['lvsd.8']! : options; // --to belongs to `convert`, in the synopsis
    t.ok(where.includes(`\\fB\\-\\-${name.replace(/-/g, '\\-')}\\fR`), `--${name} in lvsd(8)`);
    if ('short' in o) t.ok(options.includes(`\\fB\\-${o.short}\\fR`), `-${o.short} in lvsd(8)`);
  }
  t.match(pages['lvsd.8'], /^\.TH LVSD 8 "2026-01-01" "lvsd 9\.9\.9"/m);
  t.notMatch(pages['lvsd.8'] + pages['lvsd.cf.5'], /@[A-Z]+@/, 'no placeholder left');
});

t.test('man renders both pages without a warning', { skip: hasCommand('man') ? false : 'man (Debian package man-db) is not installed' }, async (t) => {
  const dir = tempDir(t);
  const pages = (await manPages({ version: '9.9.9', date: '2026-01-01' })) as Record<string, string>;
  for (const [name, text] of Object.entries(pages)) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const r = spawnSync('man', ['--warnings', '-l', file], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '80', LANG: 'C.UTF-8' } });
    t.equal(r.status, 0, `${name}: exit ${r.status}`);
    t.equal(r.stderr, '', `${name}: no warning`);
    t.match(r.stdout, name === 'lvsd.8' ? /EXIT STATUS/ : /VIRTUAL SERVICE DIRECTIVES/);
  }
});
