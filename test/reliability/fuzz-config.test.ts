// The config parser under fast-check (next to test/config/fuzz.test.ts, which mutates real
// configs): lines built from every directive with valid, odd and hostile values, in both front
// ends. Properties: it returns a config or throws a ConfigError, never anything else, and every
// rejection names the file and a line that exists. Bounded in runs and time (LVSD_FUZZ_RUNS).
// Host names the generator invents must reach no DNS: the properties run in a child of this
// file inside `unshare -n` (a network namespace of its own, loopback only).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseConfigText } from '../../src/config/load.js';
import { isConfigError } from '../../src/config/errors.js';
import { KNOWN_DIRECTIVES } from '../../src/config/directives.js';

const RUNS = Number(process.env.LVSD_FUZZ_RUNS ?? 300);
const opts = { numRuns: RUNS, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false };

const value = fc.oneof(
  fc.constantFrom('yes', 'no', '1', '0', '5', '-1', '99999999999', '', '""', '"a b"', '127.0.0.1:80', '[::1]:80', '127.0.0.2:80 gate 5', 'http', 'tcp', 'negotiate', '/', 'OK', '(a+)+$', '(?{ 1 })', '\\', '"', 'a@b.c', 'ops@example.com\rBcc: x@y', '\u0000', '#', 'x'.repeat(5000)),
  fc.string({ maxLength: 40 }),
);
const name = fc.oneof(fc.constantFrom(...KNOWN_DIRECTIVES), fc.constantFrom('timeout', 'connecttimeout', 'Virtual', 'real6', 'bogus'), fc.string({ maxLength: 10 }));
const cfLine = fc.tuple(fc.constantFrom('', '    ', '\t'), name, fc.constantFrom('=', ' = ', ':', ''), value, fc.constantFrom('', ' # c', '\r')).map(([i, n, eq, v, tail]) => `${i}${n}${eq}${v}${tail}`);

async function outcome(text: string, file: string, format: 'cf' | 'yaml'): Promise<true | { line: number } | Error> {
  try {
    await parseConfigText(text, file, format);
    return true;
  } catch (e) {
    if (isConfigError(e)) return e.file === file ? { line: e.line } : new Error(`wrong file ${e.file}`);
    return e as Error;
  }
}

const INSIDE = process.env.LVSD_FUZZ_NETNS === '1';
if (!INSIDE) {
  const probe = spawnSync('unshare', ['-n', 'true'], { timeout: 10_000 });
  t.test('config fuzzing in a network namespace', { skip: probe.status === 0 ? false : 'needs `unshare -n` (util-linux, as root) so invented host names reach no DNS' }, async (t) => {
    const loader = process.execArgv.filter((a) => a.includes('typescript') || a === '--enable-source-maps');
    const r = spawnSync('unshare', ['-n', process.execPath, ...loader, fileURLToPath(import.meta.url)], {
      encoding: 'utf8',
      timeout: 170_000,
      env: { ...process.env, LVSD_FUZZ_NETNS: '1' },
    });
    t.comment(r.stdout.split('\n').filter((l) => /^\s*(not )?ok /.test(l)).join('\n'));
    t.equal(r.status, 0, `the properties held: ${r.status === 0 ? '' : r.stdout.slice(-3000) + r.stderr.slice(-2000)}`);
  });
}

if (INSIDE) t.test('ldirectord.cf: a config or a ConfigError at a line of the file', async (t) => {
  const file = '/etc/ha.d/fuzz.cf';
  const seed = ['checktimeout=3', '', 'virtual=127.0.0.1:80', '    real=127.0.0.2:80 gate', '    service=http'];
  await fc.assert(
    fc.asyncProperty(fc.array(cfLine, { maxLength: 12 }), fc.nat(seed.length), async (lines, at) => {
      const all = [...seed.slice(0, at), ...lines, ...seed.slice(at)];
      const r = await outcome(all.join('\n') + '\n', file, 'cf');
      if (r instanceof Error) throw r;
      return r === true || (r.line >= 0 && r.line <= all.length + 1);
    }),
    opts,
  );
  t.pass('property held');
});

if (INSIDE) t.test('YAML: a config or a ConfigError at a line of the file', async (t) => {
  const file = '/etc/lvsd/fuzz.yaml';
  const key = fc.oneof(fc.constantFrom(...KNOWN_DIRECTIVES), fc.string({ maxLength: 8 }));
  const scalar = fc.oneof(value.map((v) => JSON.stringify(v)), fc.constantFrom('[1, 2]', '{a: 1}', '~', 'true', '&a x', '*a', '!!binary x', '|', '>'));
  const doc = fc.tuple(fc.array(fc.tuple(key, scalar), { maxLength: 6 }), fc.array(fc.tuple(key, scalar), { maxLength: 6 })).map(
    ([globals, section]) =>
      [...globals.map(([k, v]) => `${k}: ${v}`), 'virtuals:', '  - virtual: 127.0.0.1:80', '    reals: [127.0.0.2:80 gate]', ...section.map(([k, v]) => `    ${k}: ${v}`)].join('\n') + '\n',
  );
  await fc.assert(
    fc.asyncProperty(doc, async (text) => {
      const r = await outcome(text, file, 'yaml');
      if (r instanceof Error) throw r;
      return r === true || (r.line >= 0 && r.line <= text.split('\n').length);
    }),
    opts,
  );
  t.pass('property held');
});
