// External checks and hooks (fallbackcommand, callback) through the real daemon: run without a
// shell, with a clean environment (PATH only: nothing of the daemon's, its secrets included),
// and killed with their whole process group when they outlive their timeout.
import t from 'tap';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDir } from '../helpers/lvsd.js';
import { LogWatch, alive, reals, startDaemon, waitFor } from './helpers.js';
import { SAFE_PATH } from '../../src/checks/process-group.js';

const DAEMON_ENV = { LVSD_TEST_SECRET: 'do-not-pass-me', HOME: '/root', LD_LIBRARY_PATH: '/nowhere' };
/** What /bin/sh itself may add to the environment it was given. */
const SHELL_OWN = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);
/**
 * The test runner's coverage hook (@tapjs/processinfo) patches child_process in every process it
 * reaches and adds these to each child's environment, whatever env the spawner gave: the
 * harness's doing, not lvsd's (a daemon started by systemd or a shell has none of them).
 */
const HARNESS = (k: string) => k === 'NODE_OPTIONS' || k.startsWith('_TAPJS_');
const foreign = (env: Map<string, string>) => [...env.keys()].filter((k) => k !== 'PATH' && !SHELL_OWN.has(k) && !HARNESS(k));

/** A program that records its environment and argv, leaves a grandchild behind, and never ends. */
function recorder(dir: TempDir): string {
  const script = dir.file('record.sh', [
    '#!/bin/sh',
    `d=${dir.path}`,
    'env -0 > "$d/env.$$"',
    'echo "$@" > "$d/argv.$$"',
    'sleep 300 &',
    'echo $! > "$d/grandchild.$$"',
    'sleep 300',
    '',
  ].join('\n'));
  chmodSync(script, 0o755);
  return script;
}

/** What the recorder wrote, per run (its pid). */
function recorded(dir: TempDir, kind: 'env' | 'argv' | 'grandchild'): string[] {
  return [...runs(dir, kind).values()];
}

function runs(dir: TempDir, kind: 'env' | 'argv' | 'grandchild'): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir.path)) if (f.startsWith(`${kind}.`)) out.set(f.slice(kind.length + 1), readFileSync(join(dir.path, f), 'utf8'));
  return out;
}

/** `env -0` output: NAME=value entries separated by NUL (values may hold newlines). */
function envKeys(text: string): Map<string, string> {
  return new Map(text.split('\0').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

t.test('external check: clean environment, argv without a shell, process group killed at checktimeout', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const script = recorder(dir);
  const pwned = join(dir.path, 'pwned');
  const config = [
    'checkinterval=1',
    'checktimeout=1',
    '',
    'virtual=127.0.0.160:80',
    '    real=127.0.0.161:8080 masq',
    '    checktype=external',
    `    checkcommand="${script}"`,
    '',
    'virtual=127.0.0.162:80',
    '    real=127.0.0.163:80 masq',
    '    checktype=external',
    `    checkcommand="/bin/touch ${pwned}; /bin/true"`,
    '',
    'virtual=127.0.0.164:80',
    '    real=127.0.0.165:80 masq',
    '    checktype=external',
    `    checkcommand="$(/bin/touch ${pwned})"`,
    '',
  ].join('\n');
  const d = startDaemon(t, config, { args: ['-d'], env: DAEMON_ENV, dir });
  const log = new LogWatch(d.lvsd);
  const first = await log.waitCount('the hanging check ends', /^Check external:tcp:127\.0\.0\.161:8080#\w+: down /, 1);
  t.match(first[0]!.line, /: down (timeout after 1s|killed by SIGTERM|killed by SIGKILL)/, 'ends at checktimeout');

  const envs = recorded(dir, 'env');
  t.ok(envs.length >= 1, 'the program ran');
  const env = envKeys(envs[0]!);
  t.equal(env.get('PATH'), SAFE_PATH, 'PATH is the safe one');
  t.same(foreign(env), [], 'nothing else of the daemon\'s environment');
  t.notOk(envs.join('').includes('do-not-pass-me'), 'the daemon\'s secret variable never reached it');
  t.equal(recorded(dir, 'argv')[0]!.trim(), '127.0.0.160 80 127.0.0.161 8080', 'argv: vip vport rip rport');

  const grandchildren = recorded(dir, 'grandchild').map((p) => Number(p.trim()));
  t.ok(grandchildren.length >= 1, 'the program left a grandchild');
  await waitFor('the grandchild killed with the group', () => !alive(grandchildren[0]!), 10_000);

  const refused = await log.waitCount('the shell-syntax commands fail', /^Check external:tcp:127\.0\.0\.16[35]:80#\w+: down /, 2);
  for (const r of refused) t.match(r.line, /cannot run .*ENOENT/, 'the whole line is taken as one program name, which does not exist');
  t.notOk(existsSync(pwned), 'no shell ran the command after ; or in $(...)');
});

t.test('hooks: fallbackcommand and callback get a clean environment, no shell, and a group kill at 30 s', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const script = recorder(dir);
  const pwned = join(dir.path, 'pwned');
  const [real] = await reals(t, ['127.0.0.166']);
  const config = (extra = '') =>
    [
      'checkinterval=1',
      'checktimeout=1',
      'negotiatetimeout=1',
      `callback="${script} cb"`,
      extra,
      '',
      'virtual=127.0.0.167:80',
      `    real=${real!.addr} masq`,
      '    service=http',
      '    receive="OK"',
      `    fallbackcommand="${script} fb"`,
      '',
      'virtual=127.0.0.168:80',
      '    real=127.0.0.169:1 masq',
      '    checktype=connect',
      `    fallbackcommand="/bin/touch ${pwned} && /bin/true"`,
      '',
    ].join('\n');
  const d = startDaemon(t, config(), { args: ['-d'], env: DAEMON_ENV, dir });
  const log = new LogWatch(d.lvsd);
  await log.waitCount('the shell-syntax hook refused', /fallbackcommand: refusing .*shell syntax is not supported/, 1);
  t.notOk(existsSync(pwned), 'no shell ran it');

  await real!.stop();
  await waitFor('fallbackcommand ran', () => recorded(dir, 'argv').some((a) => a.startsWith('fb start')), 60_000);
  const [run, argv] = [...runs(dir, 'argv')].find(([, a]) => a.startsWith('fb start'))!;
  t.equal(argv.trim(), 'fb start 127.0.0.167:80 tcp', 'argv: its words, then start vip:port proto');
  await waitFor('its grandchild recorded', () => runs(dir, 'grandchild').has(run));
  const grandchild = Number(runs(dir, 'grandchild').get(run)!.trim());
  t.ok(alive(grandchild), 'the hook and its grandchild run on (the limit is 30 s)');

  // The watcher starts once the daemon is up; a change it missed is simply made again.
  for (let i = 0; i < 6 && !recorded(dir, 'argv').some((a) => a.startsWith('cb')); i++) {
    writeFileSync(d.cfg, config(`# changed ${i}`));
    await waitFor('callback ran', () => recorded(dir, 'argv').some((a) => a.startsWith('cb')), 10_000).catch(() => undefined);
  }
  t.equal(recorded(dir, 'argv').find((a) => a.startsWith('cb'))!.trim(), `cb ${d.cfg}`, 'argv: its words, then the config path');

  const envs = recorded(dir, 'env');
  t.ok(envs.length >= 2, 'both hooks ran');
  for (const e of envs) {
    const env = envKeys(e);
    t.equal(env.get('PATH'), SAFE_PATH);
    t.same(foreign(env), [], 'nothing else of the daemon\'s environment');
  }

  // The hook never ends on its own: at its 30 s limit the whole group goes.
  await waitFor('the hook group killed at the limit', () => !alive(grandchild), 60_000);
  await log.waitCount('the kill reported', /fallbackcommand .* failed: killed by SIG(TERM|KILL)/, 1);
});
