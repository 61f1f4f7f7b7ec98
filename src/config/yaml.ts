// YAML front end. Keys are the ldirectord directive names; values go through the same
// checks as ldirectord.cf (./directives.ts), so both formats accept the same settings and
// give the same model. Errors carry the YAML line. Schema:
//
//   checktimeout: 3                 # any global directive, plus sslverify, statushttp, ipvsdriver, ipvsadm
//   execute: [a.cf, b.cf]           # execute/emailalert/emailalertstatus also take lists
//   virtuals:
//     - virtual: 192.0.2.1:80       # or virtual6: "[2001:db8::1]:80", or virtual: 7 (fwmark)
//       service: http               # any virtual-section directive, unquoted values
//       real:                       # real6: in a virtual6 entry
//         - 10.0.0.1:80 gate 2      # the ldirectord form, ranges included
//         - { address: 10.0.0.2, port: 80, forward: masq, weight: 3,
//             request: /check, receive: ok, lower: 0, upper: 100 }
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { Config, Forward } from './model.js';
import { applyGlobal, GLOBAL_DIRECTIVES, SECTION_DIRECTIVES } from './directives.js';
import { applyVirtual, finishVirtual, startVirtual, type VirtualDraft } from './virtual.js';
import { ParseState } from './parse-state.js';
import type { RealOptions, RealSpec } from './reals.js';
import { didYouMean } from './suggest.js';

const REAL_FIELDS = ['address', 'port', 'forward', 'weight', 'request', 'receive', 'lower', 'upper'];
/** Keys that take a list in YAML, joined the way ldirectord.cf writes them. */
const LIST_KEYS = new Set(['emailalert', 'emailalertstatus']);

class YamlReader {
  constructor(
    readonly st: ParseState,
    private readonly lines: LineCounter,
  ) {}

  line(node: Node | Pair | null | undefined): number {
    const n = node && 'range' in node ? node : node && 'key' in node ? (node.key as Node) : undefined;
    const offset = n?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  /** A scalar as the text ldirectord would have read; booleans become yes/no. */
  text(node: unknown, key: string, line: number): string {
    if (isScalar(node)) {
      const v = (node as Scalar).value;
      if (v === null || v === undefined) return '';
      if (typeof v === 'boolean') return v ? 'yes' : 'no';
      if (typeof v === 'number' || typeof v === 'string') return String(v);
    }
    if (node === null || node === undefined) return '';
    return this.st.fail(line, `${key} must be a single value`);
  }

  /** A scalar or a list of scalars, joined with commas. */
  list(node: unknown, key: string, line: number): string {
    if (isSeq(node)) return node.items.map((i) => this.text(i, key, this.line(i as Node))).join(',');
    return this.text(node, key, line);
  }

  pairs(node: unknown, what: string, line: number): Pair[] {
    if (!isMap(node)) return this.st.fail(line, `${what} must be a mapping of directive: value`);
    return (node as YAMLMap).items as Pair[];
  }

  keyOf(p: Pair): string {
    const k = p.key;
    if (isScalar(k) && typeof k.value === 'string') return k.value;
    return this.st.fail(this.line(p), 'keys must be directive names');
  }
}

export async function parseYaml(text: string, file: string): Promise<Config> {
  const st = new ParseState(file, 'yaml');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const err = doc.errors[0];
  if (err) st.fail(lines.linePos(err.pos[0]).line, `YAML syntax error: ${err.message.split('\n')[0]}`);
  const r = new YamlReader(st, lines);
  if (doc.contents === null) return st.finish();
  for (const p of r.pairs(doc.contents, 'the document', 1)) {
    const key = r.keyOf(p);
    const line = r.line(p);
    if (key === 'virtuals') {
      const list = p.value;
      if (list === null || list === undefined || (isScalar(list) && list.value === null)) continue;
      if (!isSeq(list)) return st.fail(line, 'virtuals must be a list of virtual services');
      for (const item of list.items) await readVirtual(r, item as Node);
    } else if (key === 'execute' && isSeq(p.value)) {
      for (const item of p.value.items) await applyGlobal(st, key, r.text(item, key, r.line(item as Node)), r.line(item as Node));
    } else if (GLOBAL_DIRECTIVES.includes(key) || key === 'timeout' || key === 'connecttimeout') {
      const valueLine = isScalar(p.value) || isSeq(p.value) ? r.line(p.value as Node) : line;
      await applyGlobal(st, key, LIST_KEYS.has(key) ? r.list(p.value, key, line) : r.text(p.value, key, line), valueLine);
    } else if (key === 'virtual' || key === 'virtual6') {
      st.fail(line, `${key} belongs in a list under "virtuals:" (virtuals: [{${key}: ..., real: [...]}])`);
    } else if (SECTION_DIRECTIVES.includes(key)) {
      st.fail(line, `${key} is a virtual-service directive — put it inside an entry of "virtuals:"`);
    } else {
      st.fail(line, `unknown directive "${key}"${didYouMean(key, [...GLOBAL_DIRECTIVES, 'virtuals'])}`);
    }
  }
  return st.finish();
}

async function readVirtual(r: YamlReader, node: Node): Promise<void> {
  const st = r.st;
  const line = r.line(node);
  const pairs = r.pairs(node, 'each entry of virtuals', line);
  const headers = pairs.filter((p) => ['virtual', 'virtual6'].includes(r.keyOf(p)));
  if (headers.length !== 1) st.fail(line, 'each entry of virtuals needs exactly one virtual: or virtual6: key');
  const h = headers[0]!;
  const hkey = r.keyOf(h);
  const hline = r.line(h);
  const draft = startVirtual(st, hkey === 'virtual6' ? 6 : 4, r.text(h.value, hkey, hline), hline);
  for (const p of pairs) {
    if (p === h) continue;
    const key = r.keyOf(p);
    const kline = r.line(p);
    if (key === 'real' || key === 'real6') {
      readReals(r, draft, key, p.value, kline);
      continue;
    }
    // (applyVirtual explains global-only and unknown keys, with a suggestion)
    const valueLine = isScalar(p.value) ? r.line(p.value as Node) : kline;
    await applyVirtual(st, draft, key, LIST_KEYS.has(key) ? r.list(p.value, key, kline) : r.text(p.value, key, kline), valueLine);
  }
  await finishVirtual(st, draft, hline);
}

function readReals(r: YamlReader, draft: VirtualDraft, key: string, value: unknown, line: number): void {
  const items = isSeq(value) ? (value.items as Node[]) : [value as Node];
  for (const item of items) {
    const at = r.line(item) || line;
    familyCheck(r, draft, key, at);
    if (isMap(item)) draft.reals.push({ spec: realSpec(r, item, at), line: at });
    else draft.reals.push({ text: r.text(item, key, at), line: at });
  }
}

/** real/real6 must match the virtual's family, as in ldirectord.cf. */
function familyCheck(r: YamlReader, draft: VirtualDraft, key: string, line: number): void {
  const want = draft.v.family === 6 ? 'real6' : 'real';
  if (key !== want) r.st.fail(line, `${key}: cannot be used in a ${draft.v.family === 6 ? 'virtual6' : 'virtual'} entry — use ${want}:`);
}

function realSpec(r: YamlReader, node: YAMLMap, line: number): RealSpec {
  const st = r.st;
  const f: Record<string, string> = {};
  for (const p of node.items as Pair[]) {
    const k = r.keyOf(p);
    if (!REAL_FIELDS.includes(k)) st.fail(r.line(p), `unknown real server field "${k}"${didYouMean(k, REAL_FIELDS)} — fields are ${REAL_FIELDS.join(', ')}`);
    f[k] = r.text(p.value, k, r.line(p));
  }
  if (!f.address) st.fail(line, 'a real server needs an address');
  const forward = f.forward;
  if (forward !== 'gate' && forward !== 'masq' && forward !== 'ipip') {
    st.fail(line, `forward must be gate, masq or ipip${forward ? `, got "${forward}"` : ' (it is required)'}`);
  }
  const num = (k: string, dflt: number): number => {
    const v = f[k];
    if (v === undefined || v === '') return dflt;
    if (!/^\d+$/.test(v)) st.fail(line, `${k} must be a whole number ≥ 0, got "${v}"`);
    return Number(v);
  };
  if ((f.request === undefined) !== (f.receive === undefined)) st.fail(line, 'request and receive must be given together');
  const options: RealOptions = {
    forward: forward as Forward,
    weight: num('weight', 1),
    ...(f.request !== undefined ? { request: f.request.startsWith('/') ? f.request : '/' + f.request, receive: f.receive! } : {}),
    lower: num('lower', 0),
    upper: num('upper', 0),
  };
  const [host, hostEnd] = f.address!.split('->');
  return { host: host!, ...(hostEnd !== undefined ? { hostEnd } : {}), ...(f.port !== undefined && f.port !== '' ? { port: f.port } : {}), options };
}
