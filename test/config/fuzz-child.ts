// Run by fuzz.test.ts inside `unshare -n` (no network: mutated host names cannot reach
// DNS). Parses mutated configs and regexes; prints a JSON summary on stdout.
import { parseConfigText, formatConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { translatePerlRegex } from '../../src/config/perl-regex.js';
import type { Config } from '../../src/config/model.js';

const [seedArg, countArg] = process.argv.slice(2);
let seed = Number(seedArg ?? 1) >>> 0;
const count = Number(countArg ?? 200);

function rnd(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const GLOBAL = [
  'checktimeout=3', 'negotiatetimeout=10', 'checkinterval=5', 'failurecount=2', 'checkcount=2', 'autoreload=yes', 'quiescent=no',
  'readdquiescent=yes', 'fork=no', 'supervised', 'cleanstop=no', 'emailalert="a@example.org"', 'emailalertfreq=60',
  'emailalertstatus=starting,running', 'emailalertfrom=x@example.org', 'smtp=127.0.0.1', 'fallback=127.0.0.1:80 gate',
  'fallback6=[::1]:80', 'fallbackcommand=/bin/true', 'callback="/bin/true"', 'logfile="local0"', 'execute=x.cf', 'sslverify=yes',
  'maintenancedir=/nonexistent', '# comment', '',
];
const HEADERS = ['virtual=127.0.0.1:80', 'virtual=127.0.0.1:53', 'virtual=7', 'virtual6=[::1]:80', 'virtual=localhost:443', 'virtual6=9', 'virtual=127.0.0.1:http'];
const SECTION = [
  'real=127.0.0.2:80 gate', 'real=127.0.0.3 masq 2', 'real=127.0.0.4->127.0.0.6:80 ipip 1 "/x", "ok" l:1 u:2', 'real6=[::2]:80 gate',
  'request="/index.html"', 'receive="Test (Page|Site)$"', 'checktype=negotiate', 'checktype=3', 'checkcommand="/bin/true"',
  'checkport=80', 'login="u"', 'passwd="p"', 'database="d"', 'secret="s"', 'load="x"', 'scheduler=rr', 'persistent=60',
  'schedflags=sh-port', 'netmask=255.255.255.0', 'netmask=64', 'protocol=udp', 'protocol=fwm', 'ops=yes', 'service=http',
  'service=ftp', 'httpmethod=HEAD', 'virtualhost=www.example.org', 'fallback=127.0.0.1 masq', 'fallback6=[::1] gate',
  'fallbackcommand="/bin/true"', 'quiescent=yes', 'emailalert=a@example.org', 'emailalertfreq=0', 'emailalertstatus=none',
  'cleanstop=yes', 'smtp=localhost', 'servicename=Web', 'comment=hello', 'checkinterval=2', '# comment',
];
const INSERT = [' ', '\t', '#', '"', '\r', ',', ':', '=', '0', '1', '[', ']', '(', '\\', '{', '*'];

function mutate(line: string): string {
  const r = rnd();
  const at = Math.floor(rnd() * (line.length + 1));
  if (r < 0.4) return line.slice(0, at) + pick(INSERT) + line.slice(at);
  if (r < 0.7) return line.slice(0, at) + line.slice(at + 1);
  if (r < 0.85) return line.slice(0, at);
  return line + pick(INSERT);
}

function generate(): string {
  const lines: string[] = [];
  for (let i = 0, n = Math.floor(rnd() * 4); i < n; i++) lines.push(pick(GLOBAL));
  for (let v = 0, nv = 1 + Math.floor(rnd() * 3); v < nv; v++) {
    lines.push(pick(HEADERS));
    for (let i = 0, n = Math.floor(rnd() * 6); i < n; i++) lines.push(pick(['\t', '    ', '        ']) + pick(SECTION));
  }
  const edits = Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(rnd() * lines.length);
    lines[i] = mutate(lines[i]!);
  }
  return lines.join(rnd() < 0.1 ? '\r\n' : '\n') + '\n';
}

/** The model without source locations, with keys sorted (key order is not part of it). */
function strip(c: Config): string {
  return JSON.stringify({ g: c.global, v: c.virtuals }, (k, v: unknown) => {
    if (k === 'source') return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    return v;
  });
}

const crashes: Array<{ text: string; error: string }> = [];
let accepted = 0;
let rejected = 0;
let roundTrips = 0;
for (let i = 0; i < count; i++) {
  const text = generate();
  try {
    const c = await parseConfigText(text, '/fuzz.cf', 'cf');
    accepted++;
    const y = await parseConfigText(formatConfig(c, 'yaml'), '/fuzz.yaml', 'yaml');
    if (strip(y) !== strip(c)) crashes.push({ text, error: 'YAML round trip changed the model' });
    let asCf: string | undefined;
    try {
      asCf = formatConfig(c, 'cf');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
    }
    if (asCf !== undefined) {
      const back = await parseConfigText(asCf, '/fuzz2.cf', 'cf');
      if (strip(back) !== strip(c)) crashes.push({ text, error: 'cf round trip changed the model' });
      roundTrips++;
    }
  } catch (e) {
    if (e instanceof ConfigError) rejected++;
    else crashes.push({ text, error: String((e as Error).stack ?? e) });
  }
}

const REGEX_CHARS = ['a', 'b', '(', ')', '[', ']', '{', '}', '?', '*', '+', '|', '^', '$', '\\', '.', '-', ',', '1', '2', ':', '<', '>', '=', '!', '#', ' ', 'i', 'x', 'k', 'g', 'Q', 'd', 's', 'w', "'", 'P'];
let regexOk = 0;
for (let i = 0; i < count * 5; i++) {
  let p = '';
  for (let j = 0, n = 1 + Math.floor(rnd() * 12); j < n; j++) p += pick(REGEX_CHARS);
  try {
    const r = translatePerlRegex(p);
    if ('regex' in r) {
      regexOk++;
      r.regex.test('ab12 x:<a>');
    }
  } catch (e) {
    crashes.push({ text: `regex ${JSON.stringify(p)}`, error: String((e as Error).stack ?? e) });
  }
}

process.stdout.write(JSON.stringify({ accepted, rejected, roundTrips, regexOk, crashes: crashes.slice(0, 10), crashCount: crashes.length }));
