// Character sets for the Perl → JavaScript regex translator: Perl's classes on bytes
// (\d \w \s, \h \v, POSIX classes) as code point ranges, case folding, and how a set
// or a single character is written in a JavaScript pattern without the u flag.

export type Range = [number, number];

export const WS: Range[] = [[9, 13], [32, 32]]; // Perl \s on bytes: \t \n \v \f \r space
export const DIGIT: Range[] = [[48, 57]];
export const WORD: Range[] = [[48, 57], [65, 90], [95, 95], [97, 122]];
export const HWS: Range[] = [[9, 9], [32, 32], [0xa0, 0xa0], [0x1680, 0x1680], [0x180e, 0x180e], [0x2000, 0x200a], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];
export const VWS: Range[] = [[10, 13], [0x85, 0x85], [0x2028, 0x2029]];

export const POSIX: Record<string, Range[]> = {
  alpha: [[65, 90], [97, 122]],
  digit: DIGIT,
  alnum: [[48, 57], [65, 90], [97, 122]],
  upper: [[65, 90]],
  lower: [[97, 122]],
  space: WS,
  blank: [[9, 9], [32, 32]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
  word: WORD,
  cntrl: [[0, 31], [127, 127]],
  graph: [[33, 126]],
  print: [[32, 126]],
  ascii: [[0, 127]],
};

export function normalize(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= 0xffff) out.push([next, 0xffff]);
  return out;
}

export function caseVariants(code: number): number[] {
  const s = String.fromCharCode(code);
  const set = new Set([code]);
  for (const t of [s.toLowerCase(), s.toUpperCase()]) if (t.length === 1) set.add(t.charCodeAt(0));
  return [...set];
}

export function addCaseVariants(ranges: Range[]): Range[] {
  const out = [...ranges];
  for (const [lo, hi] of ranges) {
    if (hi - lo <= 4096) {
      for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) if (v !== c) out.push([v, v]);
    } else {
      // Huge ranges: fold the ASCII letters; the range already holds most other variants.
      for (const [a, b, shift] of [[65, 90, 32], [97, 122, -32]] as const) {
        const l = Math.max(lo, a);
        const h = Math.min(hi, b);
        if (l <= h) out.push([l + shift, h + shift]);
      }
    }
  }
  return normalize(out);
}

export function classChar(c: number): string {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return String.fromCharCode(c);
  if (c < 0x100) return '\\x' + c.toString(16).padStart(2, '0');
  return '\\u' + c.toString(16).padStart(4, '0');
}

export function emitClass(ranges: Range[], negated: boolean): string {
  const body = normalize(ranges)
    .map(([lo, hi]) => (lo === hi ? classChar(lo) : hi === lo + 1 ? classChar(lo) + classChar(hi) : `${classChar(lo)}-${classChar(hi)}`))
    .join('');
  return `[${negated ? '^' : ''}${body}]`;
}

const SPECIAL = new Set('\\^$.|?*+()[]{}/');

export function literal(code: number): string {
  if (code > 0xffff) {
    const s = String.fromCodePoint(code);
    return `(?:${classChar(s.charCodeAt(0))}${classChar(s.charCodeAt(1))})`;
  }
  const ch = String.fromCharCode(code);
  if (SPECIAL.has(ch)) return '\\' + ch;
  if (code < 32 || code === 127 || (code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029) return classChar(code);
  return ch;
}

