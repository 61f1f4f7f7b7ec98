// fallbackcommand and callback run by the real daemon, without a shell: scripts this test
// writes append their argv, one bracketed word each, to a file.
import t from 'tap';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TempDir, weightOf } from '../helpers/lvsd.js';
import { cf, daemon, servers, sleep, waitFor } from './helpers.js';

const VIP = '127.0.1.150:80';

/** A script that appends `[arg1][arg2]...` as one line to `out`. */
function recorder(dir: TempDir, name: string, out: string): string {
  const path = dir.file(name, `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done >> '${out}'\necho >> '${out}'\n`);
  chmodSync(path, 0o755);
  return path;
}
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);

t.test('fallbackcommand: start when the last real goes, stop when one is back', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.51', '127.0.1.52']);
  const dir = new TempDir();
  const out = dir.file('fallback.argv');
  const fb = recorder(dir, 'fb.sh', out);
  // a quoted word stays one argument; $HOME is no variable without a shell
  const text = cf(['quiescent=no'], [{ vip: VIP, reals: [[a!], [b!]], lines: [`fallbackcommand="${fb} 'two words' $HOME"`] }]);
  const { lvsd, state } = daemon(t, text, { dir });
  const pre = '[two words][$HOME]';
  await waitFor('first verdict', () => lines(out).length >= 1);
  t.same(lines(out), [`${pre}[stop][${VIP}][tcp]`], 'reals up at start: stop (the first state always runs)');

  await a!.stop();
  await waitFor('a out', async () => (await weightOf(state, VIP, a!.addr)) === undefined);
  await b!.stop();
  await waitFor('start', () => lines(out).length >= 2);
  t.same(lines(out).slice(1), [`${pre}[start][${VIP}][tcp]`], 'the last real gone: start, once');

  await a!.start();
  await waitFor('stop', () => lines(out).length >= 3);
  t.same(lines(out).slice(2), [`${pre}[stop][${VIP}][tcp]`], 'one real back: stop');
  await b!.start();
  await waitFor('b back', async () => (await weightOf(state, VIP, b!.addr)) === 1);
  await sleep(1500); // a script started now would have written by then
  t.equal(lines(out).length, 3, 'a second real back changes nothing');

  t.equal(await lvsd.stop(), 0);
  t.equal(lines(out).length, 3, 'not run on shutdown (as ldirectord)');
});

t.test('fallbackcommand runs keep their order: a slow start is not overtaken by its stop', async (t) => {
  const [a] = await servers(t, ['127.0.1.57']);
  const dir = new TempDir();
  const out = dir.file('fallback.argv');
  // `start` takes 4 s (bringing up a sorry page, say); `stop` is quick
  const fb = dir.file('fb.sh', `#!/bin/sh\n[ "$1" = start ] && sleep 4\nprintf '%s\\n' "$1" >> '${out}'\n`);
  chmodSync(fb, 0o755);
  const { state } = daemon(t, cf(['quiescent=no'], [{ vip: VIP, reals: [[a!]], lines: [`fallbackcommand=${fb}`] }]), { dir });
  await waitFor('first stop', () => lines(out).length >= 1);
  // the hook can run before the real's add reaches the table: see it in, or "out" passes at once
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  await a!.stop();
  await waitFor('a out', async () => (await weightOf(state, VIP, a!.addr)) === undefined);
  await a!.start(); // back while `start` still sleeps
  await waitFor('a back', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  await waitFor('both ran', () => lines(out).length >= 3);
  t.same(lines(out), ['stop', 'start', 'stop'], 'the last word is stop: the real is up');
});

t.test('callback: run with the config path when its content changes, even without autoreload', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.53', '127.0.1.54']);
  const dir = new TempDir();
  const out = dir.file('callback.argv');
  const cb = recorder(dir, 'cb.sh', out);
  const global = ['autoreload=no', `callback="${cb}"`];
  const { lvsd, state, cfgPath } = daemon(t, cf(global, [{ vip: VIP, reals: [[a!]] }]), { dir });
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  writeFileSync(cfgPath, cf(global, [{ vip: VIP, reals: [[a!], [b!]] }]));
  await waitFor('callback', () => lines(out).length >= 1);
  t.same(lines(out), [`[${cfgPath}]`]);
  t.match(lvsd.out, ' - ignore new configuration');
  t.equal(await weightOf(state, VIP, b!.addr), undefined, 'autoreload=no: not applied');
});

t.test('shell syntax in a hook is refused, never run', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.55', '127.0.1.56']);
  const dir = new TempDir();
  const out = dir.file('hook.argv');
  const script = recorder(dir, 'hook.sh', out);
  const pwned = dir.file('pwned');
  const global = ['autoreload=no', `callback="${script} $(touch ${pwned})"`];
  const text = cf(global, [{ vip: VIP, reals: [[a!]], lines: [`fallbackcommand="${script}; touch ${pwned}"`] }]);
  const { lvsd, state, cfgPath } = daemon(t, text, { dir });
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  await waitFor('fallbackcommand refused', () => lvsd.out.includes('fallbackcommand: refusing'));
  writeFileSync(cfgPath, cf(global, [{ vip: VIP, reals: [[a!], [b!]] }]));
  await waitFor('callback refused', () => lvsd.out.includes('callback: refusing'));
  t.match(lvsd.out, 'shell syntax is not supported (no shell is used)');
  t.notOk(existsSync(pwned), 'nothing a shell would have run');
  t.same(lines(out), [], 'and not the script either');
});
