// ldirectord.cf front end: the lexical rules of ldirectord 4.12's read_config (spec §1.1),
// line for line, so lvsd accepts and rejects the same files at the same lines. What a value
// means is decided in ./directives.ts, shared with the YAML front end.
import type { Config } from './model.js';
import {
  applyGlobal, GLOBAL_DIRECTIVES, GLOBAL_ONLY_DIRECTIVES, KNOWN_DIRECTIVES, LVSD_DIRECTIVES, SECTION_DIRECTIVES, VIRTUAL_ONLY_DIRECTIVES,
} from './directives.js';
import { applyVirtual, finishVirtual, startVirtual, type VirtualDraft } from './virtual.js';
import { ParseState, WS } from './parse-state.js';
import { closest, didYouMean } from './suggest.js';

export { KNOWN_DIRECTIVES, GLOBAL_DIRECTIVES, SECTION_DIRECTIVES };

/** Virtual-section directives whose value must be in double quotes (L1445–1480). */
const QUOTED = new Set(['request', 'receive', 'login', 'passwd', 'database', 'secret', 'load']);
/** Global directives whose value must be in double quotes. */
const QUOTED_GLOBAL = new Set(['callback', 'logfile']);
/** Quotes are stripped when present (virtual section only). */
const OPTIONAL_QUOTES = new Set(['checkcommand', 'fallbackcommand', 'monitorfile', 'agentsend']);

const ASSIGN = new RegExp(`^([A-Za-z0-9_]+)${WS}*=${WS}*(.*)`, 's');
const HEADER = new RegExp(`^virtual(6)?${WS}*=${WS}*(.*)`, 's');
const BLANK = new RegExp(`^${WS}*$`);
const COMMENT = new RegExp(`^${WS}*#`);

function show(s: string): string {
  return JSON.stringify(s);
}

/** Perl's `while(<FH>)`: lines split at "\n", a final line without "\n" still counts. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** What ended the last virtual section (to explain the error on the line after it). */
interface SectionEnd {
  virtualLine: number;
  line: number;
  blank: boolean;
}

export async function parseLdirectordCf(text: string, file: string): Promise<Config> {
  const st = new ParseState(file, 'cf');
  const lines = splitLines(text);
  let lastEnd: SectionEnd | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = i + 1;
    const raw = lines[i++]!;
    const header = HEADER.exec(raw);
    if (header) {
      const draft = startVirtual(st, header[1] ? 6 : 4, header[2]!, line);
      let endLine = line;
      lastEnd = undefined;
      while (i < lines.length) {
        const ln = i + 1;
        const r = lines[i++]!;
        endLine = ln;
        if (COMMENT.test(r)) continue;
        const expanded = r.replace(/#.*/s, '').replace(/\t/g, '    ');
        const m = /^ {4,}(.+)/s.exec(expanded);
        if (!m) {
          // The section ends here; this line is read again as a global line.
          i--;
          lastEnd = { virtualLine: line, line: ln, blank: BLANK.test(r) };
          break;
        }
        await sectionLine(st, draft, m[1]!, r, ln);
      }
      await finishVirtual(st, draft, endLine);
      if (endLine === line && i >= lines.length) {
        // ldirectord's section loop read nothing, so it goes back and reads the header
        // line again as a second, identical virtual (read_config's `goto outer_loop`).
        st.fail(line, `duplicate virtual server: ldirectord reads a virtual= line that ends the file twice — give the section its real= lines (or end the file with a comment line)`);
      }
      continue;
    }
    if (BLANK.test(raw) || COMMENT.test(raw)) continue;
    await globalLine(st, raw, line, lastEnd);
    lastEnd = undefined;
  }
  return st.finish();
}

async function sectionLine(st: ParseState, draft: VirtualDraft, rcmd: string, raw: string, line: number): Promise<void> {
  const m = ASSIGN.exec(rcmd);
  if (!m) return unknownInSection(st, rcmd, raw, line);
  const name = m[1]!;
  let value = m[2]!;
  if (!SECTION_DIRECTIVES.includes(name) && name !== 'connecttimeout') return unknownInSection(st, rcmd, raw, line);
  if (QUOTED.has(name)) {
    const q = /^"(.*)"/s.exec(value);
    if (!q) return unknownInSection(st, rcmd, raw, line);
    value = q[1]!;
  } else if (OPTIONAL_QUOTES.has(name)) {
    value = /^"(.*)"/s.exec(value)?.[1] ?? value;
  } else if (name === 'virtualhost') {
    value = /"?([^"]*)"?/.exec(value)![1]!;
  }
  await applyVirtual(st, draft, name, value, line);
}

async function globalLine(st: ParseState, raw: string, line: number, lastEnd: SectionEnd | undefined): Promise<void> {
  if (raw.startsWith('supervised')) {
    // ldirectord matches the bare prefix here (L1728).
    const m = new RegExp(`^supervised${WS}*=${WS}*(.*)`, 's').exec(raw);
    if (m && (m[1] === 'yes' || m[1] === 'no')) return applyGlobal(st, 'supervised', m[1], line);
    if (new RegExp(`^supervised${WS}*$`).test(raw)) {
      st.warn(line, 'please update your config not to use a bare supervised directive');
      return applyGlobal(st, 'supervised', 'yes', line);
    }
    if (m) return applyGlobal(st, 'supervised', m[1]!, line);
    return st.fail(line, `supervised must be "yes" or "no", got ${show(raw)}`);
  }
  const m = ASSIGN.exec(raw);
  const name = m?.[1];
  if (!m || !name || !(GLOBAL_DIRECTIVES.includes(name) || name === 'timeout' || name === 'connecttimeout')) {
    return unknownGlobal(st, raw, line, lastEnd);
  }
  let value = m[2]!;
  if (QUOTED_GLOBAL.has(name)) {
    const q = /^"(.*)"/s.exec(value);
    if (!q) return st.fail(line, `${name} needs its value in double quotes: ${name}="${value}"`);
    value = q[1]!;
  }
  await applyGlobal(st, name, value, line);
}

// ---- "Unknown command", explained --------------------------------------------------------

function nameOf(text: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*/.exec(text)?.[0];
}

function unknownInSection(st: ParseState, rcmd: string, raw: string, line: number): never {
  const name = nameOf(rcmd);
  const cut = raw.includes('#') && !COMMENT.test(raw);
  const hashNote = cut
    ? ` — note: "#" starts a comment even inside quotes, so the line was read as ${show(rcmd.trimEnd())}`
    : '';
  if (rcmd.trim() === '') {
    return st.fail(line, 'a line of only spaces inside a virtual section is read as a directive — make it empty (which ends the section) or remove it');
  }
  if (name && (QUOTED.has(name) || name === 'persistent' || SECTION_DIRECTIVES.includes(name))) {
    if (!new RegExp(`^${name}${WS}*=`).test(rcmd)) return st.fail(line, `${name} needs a value: ${name}=...${hashNote}`);
    return st.fail(line, `${name} needs its value in double quotes: ${name}="..."${hashNote}`);
  }
  if (name === 'virtual' || name === 'virtual6') {
    return st.fail(line, `${name}= starts a new virtual section and must begin at column 0 (no indentation)`);
  }
  if (name && (GLOBAL_ONLY_DIRECTIVES as readonly string[]).includes(name)) {
    return st.fail(line, `${name} is a global directive and cannot be used inside a virtual section — move it above the first virtual= line, at column 0`);
  }
  if (name && (LVSD_DIRECTIVES as readonly string[]).includes(name)) return st.fail(line, `${name} is a global directive (lvsd extension) and cannot be used inside a virtual section`);
  if (name === 'timeout') return st.fail(line, 'timeout is no longer supported — use checktimeout and negotiatetimeout');
  return st.fail(line, `unknown directive ${show(name ?? rcmd.trim())} in a virtual section${didYouMean(name ?? '', SECTION_DIRECTIVES)}${hashNote}`);
}

function unknownGlobal(st: ParseState, raw: string, line: number, lastEnd: SectionEnd | undefined): never {
  if (line === 1 && raw.startsWith('\uFEFF')) {
    return st.fail(line, 'the file starts with a byte order mark (BOM), which ldirectord does not accept — save it as UTF-8 without BOM');
  }
  const trimmed = raw.replace(/^[ \t]+/, '');
  const name = nameOf(trimmed);
  const indented = trimmed !== raw;
  if (indented && lastEnd && lastEnd.line === line) {
    const width = raw.replace(/\t/g, '    ').length - raw.replace(/\t/g, '    ').replace(/^ +/, '').length;
    return st.fail(line, `lines of a virtual section need an indent of at least 4 spaces or a tab; this one has ${width} space${width === 1 ? '' : 's'}, so it ended the section that started at line ${lastEnd.virtualLine}`);
  }
  if (indented && lastEnd?.blank) {
    return st.fail(line, `the empty line ${lastEnd.line} ended the virtual section that started at line ${lastEnd.virtualLine}, so this indented line is outside any section — blank lines are not allowed inside a virtual section (use a "#" comment line instead)`);
  }
  if (indented && name && (name === 'virtual' || name === 'virtual6' || GLOBAL_DIRECTIVES.includes(name))) {
    return st.fail(line, `${name}= must start at column 0 — remove the leading whitespace`);
  }
  if (indented && name && SECTION_DIRECTIVES.includes(name)) {
    return st.fail(line, `${name} is not inside a virtual section — there is no virtual= line above it`);
  }
  if (/^\[[^\]]*\][ \t\r]*$/.test(raw)) {
    return st.fail(line, `${show(raw.trim())}: INI-style section headers are not ldirectord.cf syntax — start a virtual service with virtual=ADDRESS:PORT and indent its lines`);
  }
  if (name && (VIRTUAL_ONLY_DIRECTIVES as readonly string[]).includes(name)) {
    return st.fail(line, `${name} is only valid inside a virtual section — indent it (tab or 4 spaces) under a virtual= line`);
  }
  if (name && GLOBAL_DIRECTIVES.includes(name)) return st.fail(line, `${name} needs a value: ${name}=...`);
  const global = name ? closest(name, [...GLOBAL_DIRECTIVES, 'virtual', 'virtual6']) : undefined;
  const section = name && !global ? closest(name, SECTION_DIRECTIVES) : undefined;
  const suggestion = global ? ` — did you mean "${global}"?` : section ? ` — did you mean "${section}" (inside a virtual section)?` : '';
  return st.fail(line, `unknown directive ${show(name ?? raw.trim())}${suggestion}`);
}
