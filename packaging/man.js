// The two man pages, generated so that nothing is written twice:
//  * lvsd.cf(5): packaging/lvsd.cf.5.in around the directive tables of README.md's
//    "Configuration directives" section (each `### ` heading a section, each row an entry);
//  * lvsd(8): packaging/lvsd.8.in around the Options part of `lvsd --help` (USAGE in src/cli.ts).
//
//   node packaging/man.js OUTDIR     writes OUTDIR/lvsd.8 and OUTDIR/lvsd.cf.5 (needs dist/)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECTION = '## Configuration directives';

/** Plain text for roff: backslashes, dashes, typographic characters, a leading dot or quote. */
function escape(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/…/g, '...')
    .replace(/—/g, '\\(em')
    .replace(/–/g, '\\(en')
    .replace(/≥/g, '\\(>=')
    .replace(/"/g, '\\(dq');
}

/** One line of README markdown (a table cell) as roff: `code` bold, *words* italic, links as text. */
export function inline(md) {
  const parts = md.replace(/\\\|/g, '|').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').split(/(`[^`]*`)/);
  const out = parts.map((p) => {
    if (p.startsWith('`') && p.endsWith('`') && p.length > 1) return `\\fB${escape(p.slice(1, -1))}\\fR`;
    return escape(p).replace(/\*([^*]+)\*/g, '\\fI$1\\fR');
  }).join('');
  return /^[.']/.test(out) ? `\\&${out}` : out;
}

/** Cells of a markdown table row; `\|` stays inside its cell. */
function cells(line) {
  return line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/**
 * The directive tables of README.md: [{ heading, rows: [{ names, value, dflt, meaning }] }].
 * Throws when the section or its tables are missing, so the build fails instead of shipping an
 * empty page.
 */
export function directiveTables(readme) {
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const rest = readme.slice(start + SECTION.length + 2);
  const end = rest.search(/^## /m);
  const lines = (end < 0 ? rest : rest.slice(0, end)).split('\n');
  const tables = [];
  for (const line of lines) {
    if (line.startsWith('### ')) tables.push({ heading: line.slice(4).trim(), rows: [] });
    else if (line.startsWith('|') && tables.length) {
      const c = cells(line);
      if (c[0] === 'directive' || /^-+$/.test(c[0])) continue;
      if (c.length !== 4) throw new Error(`README.md: a directive row needs 4 cells: ${line}`);
      const names = [...c[0].matchAll(/`([a-z0-9]+)`/g)].map((m) => m[1]);
      tables.at(-1).rows.push({ names, value: c[1], dflt: c[2], meaning: c[3] });
    }
  }
  if (!tables.some((t) => t.rows.length)) throw new Error(`README.md: no directive table under "${SECTION}"`);
  return tables;
}

/** lvsd.cf(5)'s directive sections. */
export function directivesRoff(readme) {
  return directiveTables(readme).map((t) => [
    `.SH ${escape(t.heading.toUpperCase())}`,
    ...t.rows.flatMap((r) => [
      '.TP',
      `${r.names.map((n) => `\\fB${escape(n)}\\fR`).join(', ')} = ${inline(r.value)}`,
      `${inline(r.meaning.replace(/^[a-z]/, (c) => c.toUpperCase()))}${/[.!?]$/.test(r.meaning) ? '' : '.'}${r.dflt === '—' ? '' : ` Default: ${inline(r.dflt)}.`}`,
    ]),
  ].join('\n')).join('\n');
}

/**
 * lvsd(8)'s OPTIONS: the Options part of USAGE, one entry per option, continuation lines
 * (indented deeper) joined to the description.
 */
export function optionsRoff(usage) {
  const at = usage.indexOf('\nOptions:\n');
  if (at < 0) throw new Error('USAGE has no Options: part');
  const entries = [];
  for (const line of usage.slice(at + 10).split('\n')) {
    const m = /^ {2}((?:-\w, )?--[\w-]+(?: [A-Z][A-Z:]*)?)(?:\s+(.*))?$/.exec(line);
    if (m) entries.push({ flags: m[1].trim(), text: m[2] ?? '' });
    else if (/^ {3,}\S/.test(line) && entries.length) entries.at(-1).text += ` ${line.trim()}`;
  }
  return entries.map((e) => {
    // "-d, --debug" bold, an argument name such as PATH or ADDR:PORT italic
    const flags = e.flags.split(/(\s+|,)/).map((w) => (/^-/.test(w) ? `\\fB${escape(w)}\\fR` : /^[A-Z][A-Z:]*$/.test(w) ? `\\fI${escape(w)}\\fR` : escape(w))).join('');
    const text = e.text.replace(/^this text$/, 'print the usage and exit');
    return `.TP\n${flags}\n${inline(text.charAt(0).toUpperCase() + text.slice(1))}.`;
  }).join('\n');
}

function fill(template, values) {
  return template.replace(/@([A-Z]+)@/g, (m, k) => {
    if (!(k in values)) throw new Error(`man page template: unknown placeholder ${m}`);
    return values[k];
  });
}

/** Both pages as { 'lvsd.8': text, 'lvsd.cf.5': text }. */
export async function manPages({ version, date }) {
  const { USAGE } = await import(pathToFileURL(path.join(root, 'dist/cli.js')).href);
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const common = { VERSION: version, DATE: date };
  return {
    'lvsd.8': fill(fs.readFileSync(path.join(root, 'packaging/lvsd.8.in'), 'utf8'), { ...common, OPTIONS: optionsRoff(USAGE) }),
    'lvsd.cf.5': fill(fs.readFileSync(path.join(root, 'packaging/lvsd.cf.5.in'), 'utf8'), { ...common, DIRECTIVES: directivesRoff(readme) }),
  };
}

/** The date a man page shows: the last commit's (reproducible), else today. */
export function pageDate() {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH) || Date.now() / 1000;
  return new Date(epoch * 1000).toISOString().slice(0, 10);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node packaging/man.js OUTDIR');
    process.exit(255);
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  fs.mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(await manPages({ version, date: pageDate() }))) fs.writeFileSync(path.join(out, name), text);
}
