// Translate a Perl regular expression (ldirectord's `receive=`) into a JavaScript RegExp
// with the same matching behaviour, or say why that cannot be done safely.
//
// The result is meant for `regex.test(text)` with the pattern and the server's reply decoded
// the same way (lvsd reads both as UTF-8). As in Perl on bytes, `\d \w \s` and POSIX
// classes are ASCII-only; `.` excludes only "\n"; `$` also matches before a final newline.
// The JS regex is built without the m/s/u flags (their JS meanings differ from Perl's);
// anchors, `.` and classes are written out explicitly instead. Case-insensitivity uses the
// JS `i` flag when it covers the whole pattern, otherwise it is expanded per character.

import { addCaseVariants, caseVariants, complement, DIGIT, emitClass, HWS, literal, POSIX, VWS, WORD, WS, type Range } from './perl-regex-sets.js';

export type PerlRegexResult = { regex: RegExp } | { error: string };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  xx: boolean;
  n: boolean;
}

/** A group in the pattern, for deciding whether a backreference is always set. */
interface Node {
  parent: Node | undefined;
  /** alternative index in the parent when this node was opened. */
  parentAlt: number;
  alt: number;
  hasAlt: boolean;
  /** the node can be skipped or can leave its captures unset (min-0 quantifier, negative lookaround, ...). */
  mayUnset: boolean;
  quantified: boolean;
  closed: boolean;
  id?: number;
}

type Part = string | { open: number; name?: string } | { ref: number };

class Fail extends Error {}
class NeedCaseEmulation extends Error {}

/** Deeper nesting is refused (the translator recurses per group). */
const MAX_DEPTH = 100;

class Translator {
  private pos = 0;
  private parts: Part[] = [];
  private flags: Flags = { i: false, m: false, s: false, x: false, xx: false, n: false };
  private globalI = false;
  private nextId = 0;
  private depth = 0;
  private groups: Node[] = []; // Perl group number - 1 → node
  private names = new Map<string, Node>();
  private readonly root: Node = { parent: undefined, parentAlt: 0, alt: 0, hasAlt: false, mayUnset: false, quantified: false, closed: false };

  constructor(
    private readonly src: string,
    private readonly emulateCase: boolean,
  ) {}

  run(): RegExp {
    this.parseSeq(this.root);
    if (this.pos < this.src.length) throw new Fail('unmatched ")"');
    return new RegExp(this.serialize(), this.globalI && !this.emulateCase ? 'i' : '');
  }

  private fail(msg: string): never {
    throw new Fail(msg);
  }

  private serialize(): string {
    const num = new Map<number, number>();
    let n = 0;
    for (const p of this.parts) if (typeof p === 'object' && 'open' in p) num.set(p.open, ++n);
    return this.parts
      .map((p) => {
        if (typeof p === 'string') return p;
        if ('open' in p) return p.name ? `(?<${p.name}>` : '(';
        return `(?:\\${num.get(p.ref)})`;
      })
      .join('');
  }

  private peek(o = 0): string {
    return this.src[this.pos + o] ?? '';
  }

  private skipExtended(): void {
    if (!this.flags.x) return;
    for (;;) {
      const c = this.peek();
      if (/[\t\n\v\f\r \x85\u200e\u200f\u2028\u2029]/.test(c)) this.pos++;
      else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  private parseSeq(node: Node): void {
    for (;;) {
      this.skipExtended();
      if (this.pos >= this.src.length) return;
      const c = this.peek();
      if (c === ')') {
        if (node === this.root) this.fail('unmatched ")"');
        return;
      }
      if (c === '|') {
        this.pos++;
        this.parts.push('|');
        node.alt++;
        node.hasAlt = true;
        continue;
      }
      const start = this.parts.length;
      const atom = this.parseAtom(node);
      if (!atom) continue;
      this.skipExtended();
      const q = this.parseQuantifier();
      if (!q) continue;
      if (!atom.quantifiable) this.fail(`quantifier "${q.text}" follows nothing that can be repeated`);
      if (atom.child) {
        atom.child.quantified = true;
        if (q.min === 0) atom.child.mayUnset = true;
      }
      if (q.possessive) {
        // X*+ is (?>X*), emulated as (?=(X*))\N: a lookahead never backtracks into itself.
        const id = this.nextId++;
        this.parts.splice(start, 0, '(?=', { open: id });
        this.parts.push(q.text, '))', { ref: id });
      } else {
        this.parts.push(q.text + (q.lazy ? '?' : ''));
      }
      this.skipExtended();
      if ('*+?'.includes(this.peek()) && this.peek() !== '' ) this.fail('nested quantifiers');
      if (this.peek() === '{' && this.quantifierAt(this.pos)) this.fail('nested quantifiers');
    }
  }

  /** A `{n}`, `{n,}`, `{n,m}` or `{,m}` quantifier (Perl ≥5.34 syntax, blanks allowed) at i. */
  private quantifierAt(i: number): { min: number; max?: number; len: number } | undefined {
    const m = /^\{[ \t]*(\d*)[ \t]*(?:(,)[ \t]*(\d*)[ \t]*)?\}/.exec(this.src.slice(i));
    if (!m || (m[1] === '' && (m[3] ?? '') === '')) return undefined;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] ? (m[3] === '' ? undefined : Number(m[3])) : min;
    return { min, max, len: m[0].length };
  }

  private parseQuantifier(): { text: string; min: number; lazy: boolean; possessive: boolean } | undefined {
    const c = this.peek();
    let text: string;
    let min: number;
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      text = c;
      min = c === '+' ? 1 : 0;
    } else if (c === '{') {
      const q = this.quantifierAt(this.pos);
      if (!q) return undefined;
      this.pos += q.len;
      if (q.max !== undefined && q.max < q.min) this.fail(`quantifier {${q.min},${q.max}} has its minimum above its maximum`);
      if (q.min > 65534 || (q.max ?? 0) > 65534) this.fail('quantifier too large');
      text = q.max === undefined ? `{${q.min},}` : q.max === q.min ? `{${q.min}}` : `{${q.min},${q.max}}`;
      min = q.min;
    } else return undefined;
    let lazy = false;
    let possessive = false;
    if (this.peek() === '?') {
      lazy = true;
      this.pos++;
    } else if (this.peek() === '+') {
      possessive = true;
      this.pos++;
    }
    return { text, min, lazy, possessive };
  }

  private parseAtom(node: Node): { quantifiable: boolean; child?: Node } | undefined {
    const c = this.peek();
    switch (c) {
      case '(':
        return this.parseGroup(node);
      case '[': {
        const { ranges, negated } = this.parseClass();
        this.parts.push(emitClass(this.flags.i && this.emulateCase ? addCaseVariants(ranges) : ranges, negated));
        return { quantifiable: true };
      }
      case '.':
        this.pos++;
        this.parts.push(this.flags.s ? '[\\s\\S]' : '[^\\n]');
        return { quantifiable: true };
      case '^':
        this.pos++;
        this.parts.push(this.flags.m ? '(?<![^\\n])' : '^');
        return { quantifiable: false };
      case '$':
        this.pos++;
        this.parts.push(this.flags.m ? '(?=\\n|$)' : '(?=\\n?$)');
        return { quantifiable: false };
      case '\\':
        return this.parseEscape(node);
      case '*':
      case '+':
      case '?':
        return this.fail(`quantifier "${c}" follows nothing`);
      case '{':
        if (this.quantifierAt(this.pos)) this.fail('quantifier follows nothing');
        this.pos++;
        this.parts.push('\\{');
        return { quantifiable: true };
      default: {
        const code = this.src.codePointAt(this.pos)!;
        this.pos += code > 0xffff ? 2 : 1;
        this.pushLiteral(code);
        return { quantifiable: true };
      }
    }
  }

  private pushLiteral(code: number): void {
    if (this.flags.i && this.emulateCase && code <= 0xffff) {
      const v = caseVariants(code);
      if (v.length > 1) {
        this.parts.push(emitClass(v.map((x) => [x, x] as Range), false));
        return;
      }
    }
    this.parts.push(literal(code));
  }

  // ---- groups -------------------------------------------------------------------------

  private newNode(parent: Node, mayUnset = false): Node {
    return { parent, parentAlt: parent.alt, alt: 0, hasAlt: false, mayUnset, quantified: false, closed: false };
  }

  private parseGroupBody(child: Node, open: Part[], close: string, scopedFlags?: Partial<Flags>): Node {
    if (++this.depth > MAX_DEPTH) this.fail(`groups nested deeper than ${MAX_DEPTH}`);
    const saved = this.flags;
    this.flags = { ...saved, ...scopedFlags };
    this.parts.push(...open);
    this.parseSeq(child);
    if (this.peek() !== ')') this.fail('unmatched "("');
    this.pos++;
    this.parts.push(close);
    this.flags = saved;
    this.depth--;
    child.closed = true;
    return child;
  }

  private parseGroup(node: Node): { quantifiable: boolean; child?: Node } | undefined {
    const rest = this.src.slice(this.pos);
    if (rest.startsWith('(*')) this.fail('(*VERB) and (*alpha_assertion:...) constructs are not supported');
    if (!rest.startsWith('(?')) {
      this.pos++;
      if (this.flags.n) return { quantifiable: true, child: this.parseGroupBody(this.newNode(node), ['(?:'], ')') };
      return { quantifiable: true, child: this.capture(node, undefined) };
    }
    const r = rest.slice(2);
    if (r.startsWith('#')) {
      const end = this.src.indexOf(')', this.pos);
      if (end < 0) this.fail('unterminated (?#...) comment');
      this.pos = end + 1;
      return undefined;
    }
    const simple: Array<[string, string, boolean]> = [
      [':', '(?:', false],
      ['=', '(?=', false],
      ['!', '(?!', true],
      ['<=', '(?<=', false],
      ['<!', '(?<!', true],
    ];
    for (const [tok, js, neg] of simple) {
      if (r.startsWith(tok)) {
        this.pos += 2 + tok.length;
        const child = this.parseGroupBody(this.newNode(node, neg), [js], ')');
        return { quantifiable: tok === ':' || tok === '=' || tok === '!', child };
      }
    }
    if (r.startsWith('>')) {
      // Atomic group (?>X) → (?=(X))\N
      this.pos += 3;
      const id = this.nextId++;
      const child = this.parseGroupBody(this.newNode(node), ['(?=', { open: id }], '))');
      this.parts.push({ ref: id });
      return { quantifiable: true, child };
    }
    if (r.startsWith('|')) this.fail('branch reset groups (?|...) are not supported');
    if (r.startsWith('{') || r.startsWith('?{')) this.fail('code blocks (?{...}) are not supported');
    if (r.startsWith('(')) this.fail('conditionals (?(...)...) are not supported');
    if (/^(R|[+-]?\d|&|P>)/.test(r)) this.fail('recursion and subroutine calls ((?R), (?1), (?&name)) are not supported');
    let m = /^(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(r);
    if (m) {
      this.pos += 2 + m[0].length;
      return { quantifiable: true, child: this.capture(node, m[1] ?? m[2]!) };
    }
    m = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(r);
    if (m) {
      this.pos += 2 + m[0].length;
      this.pushRef(node, this.names.get(m[1]!), `(?P=${m[1]})`);
      return { quantifiable: true };
    }
    m = /^(\^)?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(r);
    if (m) {
      const leading = node === this.root && this.parts.every((x) => x === '^') && m[4] === ')';
      this.pos += 2 + m[0].length;
      const next = this.applyFlags(m[1] === '^', m[2]!, m[3] ?? '', leading);
      if (m[4] === ')') {
        this.flags = next;
        return undefined;
      }
      const child = this.parseGroupBody(this.newNode(node), ['(?:'], ')', next);
      return { quantifiable: true, child };
    }
    this.fail(`unknown group syntax "(?${r.slice(0, 3)}"`);
  }

  private capture(node: Node, name: string | undefined): Node {
    const child = this.newNode(node);
    child.id = this.nextId++;
    this.groups.push(child);
    if (name !== undefined) {
      if (this.names.has(name)) this.fail(`group name "${name}" is used twice (not supported in JavaScript)`);
      this.names.set(name, child);
    }
    return this.parseGroupBody(child, [{ open: child.id, ...(name !== undefined ? { name } : {}) }], ')');
  }

  private applyFlags(caret: boolean, on: string, off: string, leading: boolean): Flags {
    const f: Flags = caret ? { i: false, m: false, s: false, x: false, xx: false, n: false } : { ...this.flags };
    const set = (letters: string, value: boolean): void => {
      for (let k = 0; k < letters.length; k++) {
        const l = letters[k]!;
        if (l === 'x') {
          if (value && letters[k + 1] === 'x') {
            f.xx = true;
            k++;
          } else if (!value) f.xx = false;
          f.x = value;
        } else if (l === 'i' || l === 'm' || l === 's' || l === 'n') f[l] = value;
        else if (!'adlup'.includes(l)) this.fail(`unknown regex modifier "${l}"`);
      }
    };
    set(on, true);
    set(off, false);
    if (f.i !== this.flags.i) {
      if (leading && !this.emulateCase) this.globalI = f.i;
      else if (!this.emulateCase) throw new NeedCaseEmulation();
    }
    return f;
  }

  // ---- backreferences -----------------------------------------------------------------

  private pushRef(node: Node, target: Node | undefined, text: string): void {
    if (!target) this.fail(`backreference ${text} refers to a group that does not exist before it`);
    if (!target.closed) this.fail(`backreference ${text} refers to a group that is not closed before it`);
    if (this.flags.i && this.emulateCase) this.fail(`backreference ${text} in a partly case-insensitive pattern cannot be translated`);
    // Perl fails a reference to an unset group, JavaScript matches it as empty: only allow
    // references to groups that are certainly set when the reference is reached.
    const ancestors = new Set<Node>();
    for (let n: Node | undefined = node; n; n = n.parent) ancestors.add(n);
    let child: Node = target;
    for (let n: Node | undefined = target; n && !ancestors.has(n); n = n.parent) {
      const unsafe = n === target ? n.mayUnset : n.mayUnset || n.quantified || n.hasAlt;
      if (unsafe) this.fail(`backreference ${text} refers to a group that may be unset there (Perl and JavaScript differ)`);
      child = n;
    }
    const lca = child.parent!;
    let here: Node = node;
    while (here !== lca && here.parent !== lca) here = here.parent!;
    const refAlt = here === lca ? lca.alt : here.parentAlt;
    if (refAlt !== child.parentAlt) this.fail(`backreference ${text} refers to a group in another alternative`);
    this.parts.push({ ref: target.id! });
  }

  // ---- escapes ------------------------------------------------------------------------

  /** Escapes that mean one character, shared by the class and non-class parsers. */
  private charEscape(inClass: boolean): number | undefined {
    const c = this.peek();
    const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, e: 27, a: 7 };
    if (c in simple) {
      this.pos++;
      return simple[c];
    }
    if (c === 'x') {
      this.pos++;
      if (this.peek() === '{') {
        const end = this.src.indexOf('}', this.pos);
        if (end < 0) this.fail('missing "}" in \\x{...}');
        const hex = this.src.slice(this.pos + 1, end).trim();
        this.pos = end + 1;
        return this.codeOrFail(hex === '' ? 0 : /^[0-9A-Fa-f_]+$/.test(hex) ? parseInt(hex.replace(/_/g, ''), 16) : NaN, inClass);
      }
      const m = /^[0-9A-Fa-f]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += m.length;
      return m === '' ? 0 : parseInt(m, 16);
    }
    if (c === 'o' && this.peek(1) === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end < 0) this.fail('missing "}" in \\o{...}');
      const oct = this.src.slice(this.pos + 2, end).trim();
      this.pos = end + 1;
      return this.codeOrFail(/^[0-7]+$/.test(oct) ? parseInt(oct, 8) : NaN, inClass);
    }
    if (c === 'c') {
      const ch = this.src[this.pos + 1];
      if (ch === undefined) this.fail('missing control character after \\c');
      this.pos += 2;
      return ch.toUpperCase().charCodeAt(0) ^ 64;
    }
    if (c === 'N' && this.peek(1) === '{') {
      const m = /^N\{U\+([0-9A-Fa-f]+)\}/.exec(this.src.slice(this.pos));
      if (!m) this.fail('named characters \\N{name} are not supported (use \\N{U+hex} or \\x{hex})');
      this.pos += m[0].length;
      return this.codeOrFail(parseInt(m[1]!, 16), inClass);
    }
    return undefined;
  }

  private codeOrFail(code: number, inClass: boolean): number {
    if (!Number.isFinite(code) || code > 0x10ffff) this.fail('invalid character code');
    if (inClass && code > 0xffff) this.fail('characters above U+FFFF inside [...] are not supported');
    return code;
  }

  private parseEscape(node: Node): { quantifiable: boolean } | undefined {
    this.pos++; // backslash
    if (this.pos >= this.src.length) this.fail('trailing backslash');
    const c = this.peek();
    const classEsc = this.classEscape();
    if (classEsc) {
      const { ranges, negated } = classEsc;
      const i = this.flags.i && this.emulateCase;
      this.parts.push(emitClass(i ? addCaseVariants(ranges) : ranges, negated));
      return { quantifiable: true };
    }
    const ch = this.charEscape(false);
    if (ch !== undefined) {
      this.pushLiteral(ch);
      return { quantifiable: true };
    }
    this.pos++;
    switch (c) {
      case 'b':
      case 'B':
        if (this.peek() === '{') this.fail(`\\${c}{...} boundaries are not supported`);
        this.parts.push('\\' + c);
        return { quantifiable: false };
      case 'A':
        this.parts.push('^');
        return { quantifiable: false };
      case 'z':
        this.parts.push('$');
        return { quantifiable: false };
      case 'Z':
        this.parts.push('(?=\\n?$)');
        return { quantifiable: false };
      case 'K':
        // \K only moves the start of $&; whether the pattern matches is unchanged.
        return undefined;
      case 'G':
        return this.fail('\\G (match position anchor) is not supported');
      case 'p':
      case 'P':
        return this.fail(`Unicode properties \\${c}{...} are not supported`);
      case 'X':
      case 'C':
        return this.fail(`\\${c} is not supported`);
      case 'o':
        return this.fail('\\o must be written \\o{octal}');
      case 'R':
        this.parts.push('(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])');
        return { quantifiable: true };
      case 'N':
        this.parts.push('[^\\n]');
        return { quantifiable: true };
      case 'g':
        return this.parseG(node);
      case 'k': {
        const m = /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\})/.exec(this.src.slice(this.pos));
        if (!m) this.fail('malformed \\k<name> backreference');
        this.pos += m[0].length;
        const name = m[1] ?? m[2] ?? m[3]!;
        this.pushRef(node, this.names.get(name), `\\k<${name}>`);
        return { quantifiable: true };
      }
      case '0': {
        const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
        this.pos += m.length;
        this.pushLiteral(parseInt('0' + m, 8));
        return { quantifiable: true };
      }
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      const digits = /^\d*/.exec(this.src.slice(this.pos))![0];
      const whole = c + digits;
      // \10 and up are backreferences only when that many groups opened before (perlre).
      if (whole.length === 1 || Number(whole) <= this.groups.length) {
        this.pos += digits.length;
        this.pushRef(node, this.groups[Number(whole) - 1], `\\${whole}`);
        return { quantifiable: true };
      }
      const oct = /^[0-7]{1,3}/.exec(whole);
      if (!oct) this.fail(`backreference \\${whole} refers to a group that does not exist`);
      this.pos += oct[0].length - 1;
      this.pushLiteral(parseInt(oct[0], 8));
      return { quantifiable: true };
    }
    // Unknown escapes of letters are "passed through" by Perl as the letter itself
    // (\Q, \E, \U, \L, \u, \l, \y ... inside a pattern variable); others are literal.
    const code = this.src.codePointAt(this.pos - 1)!;
    if (code > 0xffff) this.pos++;
    this.pushLiteral(code);
    return { quantifiable: true };
  }

  private parseG(node: Node): { quantifiable: boolean } {
    const m = /^(?:\{(-?\d+)\}|(-?\d+)|\{([A-Za-z_]\w*)\})/.exec(this.src.slice(this.pos));
    if (!m) this.fail('malformed \\g backreference');
    this.pos += m[0].length;
    if (m[3] !== undefined) {
      this.pushRef(node, this.names.get(m[3]), `\\g{${m[3]}}`);
      return { quantifiable: true };
    }
    const n = Number(m[1] ?? m[2]);
    if (n === 0) this.fail('\\g0 (recursion) is not supported');
    const idx = n < 0 ? this.groups.length + n : n - 1;
    this.pushRef(node, idx >= 0 ? this.groups[idx] : undefined, `\\g{${n}}`);
    return { quantifiable: true };
  }

  /** \d \D \w \W \s \S \h \H \v \V at pos (after the backslash), as ranges. */
  private classEscape(): { ranges: Range[]; negated: boolean } | undefined {
    const sets: Record<string, Range[]> = { d: DIGIT, w: WORD, s: WS, h: HWS, v: VWS };
    const c = this.peek();
    const lower = c.toLowerCase();
    if (!(lower in sets) || c === '') return undefined;
    this.pos++;
    return { ranges: sets[lower]!, negated: c !== lower };
  }

  // ---- bracketed classes --------------------------------------------------------------

  private parseClass(): { ranges: Range[]; negated: boolean } {
    this.pos++; // [
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const ranges: Range[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unmatched "["');
      const c = this.peek();
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (this.flags.xx && (c === ' ' || c === '\t')) {
        this.pos++;
        continue;
      }
      const lo = this.classItem();
      if (Array.isArray(lo)) {
        ranges.push(...lo);
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        const save = this.pos;
        this.pos++;
        const hi = this.classItem();
        if (Array.isArray(hi)) {
          // "False [] range": the dash is literal.
          ranges.push([lo, lo], [45, 45], ...hi);
          continue;
        }
        if (hi < lo) this.fail(`invalid range "${this.src.slice(save - 1, this.pos)}" in [...]`);
        ranges.push([lo, hi]);
        continue;
      }
      ranges.push([lo, lo]);
    }
    return { ranges, negated };
  }

  /** One class member: a character code, or a set of ranges (\d, [:alpha:], ...). */
  private classItem(): number | Range[] {
    const c = this.peek();
    if (c === '[') {
      const m = /^\[([:=.])(\^?)([a-z]*)\1\]/.exec(this.src.slice(this.pos));
      if (m) {
        if (m[1] !== ':') this.fail(`POSIX syntax [${m[1]} ${m[1]}] is not supported`);
        const set = POSIX[m[3]!];
        if (!set) this.fail(`unknown POSIX class [:${m[3]}:]`);
        this.pos += m[0].length;
        return m[2] ? complement(set) : set;
      }
      this.pos++;
      return 91;
    }
    if (c !== '\\') {
      const code = this.src.codePointAt(this.pos)!;
      if (code > 0xffff) this.fail('characters above U+FFFF inside [...] are not supported');
      this.pos++;
      return code;
    }
    this.pos++;
    if (this.pos >= this.src.length) this.fail('trailing backslash');
    const esc = this.classEscape();
    if (esc) return esc.negated ? complement(esc.ranges) : esc.ranges;
    const ch = this.charEscape(true);
    if (ch !== undefined) return ch;
    const e = this.peek();
    this.pos++;
    if (e === 'b') return 8;
    if (e === 'p' || e === 'P') this.fail(`Unicode properties \\${e}{...} are not supported`);
    if (e === 'N') this.fail('\\N inside [...] must be \\N{U+hex}');
    if (e >= '0' && e <= '7') {
      const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += m.length;
      return parseInt(e + m, 8);
    }
    const code = this.src.codePointAt(this.pos - 1)!;
    if (code > 0xffff) this.fail('characters above U+FFFF inside [...] are not supported');
    return code;
  }
}

/**
 * Translate a Perl regex to a JS RegExp that matches the same inputs, or explain why not.
 * Supported: anchors (^ $ \A \z \Z with Perl's "before a final newline"), inline flags
 * (?imsx-imsx) anywhere and (?flags:...) groups, (?^...), POSIX classes, \h \v \R \N,
 * \x{..} \o{..} \c \e \N{U+..}, octal escapes, {,n} and spaced quantifiers, named groups in
 * all Perl spellings, \g/\k backreferences, atomic groups and possessive quantifiers
 * (emulated with a lookahead), \K (dropped). Rejected: code blocks, recursion, conditionals,
 * branch reset, \G, \p{..}, \X, verbs, backreferences that may refer to an unset group.
 */
export function translatePerlRegex(src: string): PerlRegexResult {
  for (const emulateCase of [false, true]) {
    try {
      return { regex: new Translator(src, emulateCase).run() };
    } catch (e) {
      if (e instanceof NeedCaseEmulation) continue;
      if (e instanceof Fail) return { error: e.message };
      if (e instanceof SyntaxError) return { error: `not a valid regular expression: ${e.message}` };
      throw e;
    }
  }
  return { error: 'cannot translate the case-insensitive parts of this pattern' };
}
