// checktype=external and external-perl with real scripts and real processes.
import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalChecker } from '../../src/checks/external.js';
import { externalPerlChecker } from '../../src/checks/external-perl.js';
import type { CheckTarget } from '../../src/checks/types.js';
import { alive, eventually, hasCommand, never, settles, target } from './helpers.js';

const noPerl = hasCommand('perl') ? false : 'perl (Debian perl-base) is not installed';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-external-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

const ext = (checkcommand: string, over: Partial<CheckTarget> = {}): CheckTarget =>
  target({ checktype: 'external', checkcommand, vip: '10.0.0.2', vport: 6379, host: '127.0.0.60', rport: 6380, ...over });

t.test('exit 0 is up; arguments are vip vport rip rport', async (t) => {
  const out = join(dir, 'args.txt');
  const cmd = script('ok.sh', `#!/bin/sh\nprintf '%s|' "$@" > '${out}'\nexit 0\n`);
  const r = await externalChecker.check(ext(cmd), never);
  t.same(r, { ok: true, message: 'Success' });
  t.equal(readFileSync(out, 'utf8'), '10.0.0.2|6379|127.0.0.60|6380|');
});

t.test('agentoutput: the first output line comes with the result; without it, nothing extra', async (t) => {
  const cmd = script('weight.sh', '#!/bin/sh\necho\necho "  75%  "\necho second\n');
  t.same(await externalChecker.check(ext(cmd, { agentoutput: true }), never), { ok: true, message: 'Success', output: '75%' });
  t.same(await externalChecker.check(ext(cmd), never), { ok: true, message: 'Success' });
  const failing = script('weight-fail.sh', '#!/bin/sh\necho "down #oom"\nexit 1\n');
  t.same(await externalChecker.check(ext(failing, { agentoutput: true }), never), { ok: false, message: 'exit status 1: down #oom', output: 'down #oom' });
});

t.test('fwmark services pass `mark 0 rip rport`', async (t) => {
  const out = join(dir, 'fwm-args.txt');
  const cmd = script('fwm.sh', `#!/bin/sh\nprintf '%s|' "$@" > '${out}'\n`);
  const r = await externalChecker.check(ext(cmd, { protocol: 'fwm', vip: '55', vport: 0, rport: 0 }), never);
  t.equal(r.ok, true);
  t.equal(readFileSync(out, 'utf8'), '55|0|127.0.0.60|0|');
});

t.test('non-zero exit is down, with the last output line as the reason', async (t) => {
  const cmd = script('fail.sh', '#!/bin/sh\necho "checking..."\necho "redis says LOADING" >&2\nexit 3\n');
  const r = await externalChecker.check(ext(cmd), never);
  t.same(r, { ok: false, message: 'exit status 3: redis says LOADING' });
});

t.test('a missing program is down, not a crash', async (t) => {
  const r = await externalChecker.check(ext(join(dir, 'does-not-exist')), never);
  t.equal(r.ok, false);
  t.match(r.message, /ENOENT/);
});

t.test('no shell: metacharacters in checkcommand are not interpreted', async (t) => {
  const marker = join(dir, 'shell-ran');
  const r = await externalChecker.check(ext(`/bin/true; touch ${marker}`), never);
  t.equal(r.ok, false);
  t.notOk(existsSync(marker), 'nothing after ";" was run');
});

t.test('the environment is PATH only', async (t) => {
  process.env.LVSD_TEST_SECRET = 'leak';
  t.teardown(() => delete process.env.LVSD_TEST_SECRET);
  const out = join(dir, 'env.txt');
  // NUL-separated: values may hold newlines (tap's do).
  const probe = script('probe.sh', `#!/bin/sh\n/usr/bin/env -0 > '${out}'\n`);
  const r = await externalChecker.check(ext(probe), never);
  t.equal(r.ok, true);
  const vars = readFileSync(out, 'utf8').split('\0').filter(Boolean).map((l) => l.split('=')[0] ?? '');
  t.notOk(vars.includes('LVSD_TEST_SECRET'), 'the daemon environment does not leak');
  t.ok(vars.includes('PATH'));
  // sh itself adds PWD (and some shells OLDPWD/SHLVL). Under tap, its coverage hook wraps
  // child_process.spawn and adds NODE_OPTIONS and _TAPJS_* to every child; that is the test
  // runner, not lvsd. Nothing else may be there.
  const fromShell = ['PATH', 'PWD', 'OLDPWD', 'SHLVL', '_'];
  const fromTap = (v: string): boolean => v === 'NODE_OPTIONS' || v.startsWith('_TAPJS_');
  t.same(vars.filter((v) => !fromShell.includes(v) && !fromTap(v)), []);
});

t.test('output is kept to a cap', async (t) => {
  const cmd = script('loud.sh', '#!/bin/sh\nhead -c 2000000 /dev/zero | tr "\\0" "x"\necho\necho last\nexit 1\n');
  const r = await settles(externalChecker.check(ext(cmd, { checktimeout: 10 }), never), 30);
  t.equal(r.ok, false);
  t.ok(r.message.length < 300, `reason is short (${r.message.length} chars)`);
});

/** Runs a script that records "$$ <sleep pid>" and hangs; asserts timeout and that both die. */
async function assertGroupKilled(t: Tap, name: string, hang: string): Promise<void> {
  const pids = join(dir, `${name}.pids`);
  const cmd = script(`${name}.sh`, `#!/bin/sh\n${hang.replace('PIDS', `'${pids}'`)}`);
  const r = await settles(externalChecker.check(ext(cmd, { checktimeout: 1 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
  const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
  t.ok(await eventually(() => !alive(shell) && !alive(sleeper)), 'script and its grandchild sleep are gone');
}
// method syntax: tap's assertion signatures are wider than what is used here.
interface Tap {
  same(a: unknown, b: unknown): boolean;
  ok(v: unknown, m: string): boolean;
}

t.test('timeout kills the whole process group, grandchildren included', async (t) => {
  // The script starts a background sleep (a grandchild of lvsd) and then waits itself.
  await assertGroupKilled(t, 'hang', 'sleep 300 &\necho "$$ $!" > PIDS\nwait\n');
});

t.test('a script that ignores SIGTERM is SIGKILLed after the grace period', async (t) => {
  await assertGroupKilled(t, 'stubborn', "trap '' TERM\nsleep 300 &\necho \"$$ $!\" > PIDS\nwhile :; do sleep 1; done\n");
});

t.test('stragglers of a script that exited are killed too', async (t) => {
  const pids = join(dir, 'straggler.txt');
  const cmd = script('straggler.sh', `#!/bin/sh\nsleep 300 &\necho "$!" > '${pids}'\nexit 0\n`);
  const r = await settles(externalChecker.check(ext(cmd, { checktimeout: 5 }), never), 10);
  t.same(r, { ok: true, message: 'Success' });
  const sleeper = Number(readFileSync(pids, 'utf8').trim());
  t.ok(await eventually(() => !alive(sleeper)), 'the background sleep is gone');
});

t.test('an aborted check kills its program too', async (t) => {
  const pids = join(dir, 'aborted.txt');
  const cmd = script('abort.sh', `#!/bin/sh\necho "$$" > '${pids}'\nsleep 300\n`);
  const ctl = new AbortController();
  const p = externalChecker.check(ext(cmd, { checktimeout: 60 }), ctl.signal);
  t.ok(await eventually(() => existsSync(pids) && readFileSync(pids, 'utf8').trim() !== ''), 'script started');
  ctl.abort();
  t.same(await settles(p, 10), { ok: false, message: 'aborted' });
  const shell = Number(readFileSync(pids, 'utf8').trim());
  t.ok(await eventually(() => !alive(shell)));
});

t.test('external-perl', { skip: noPerl }, async (t) => {
  const perl = (name: string, body: string, over: Partial<CheckTarget> = {}): CheckTarget => {
    const path = join(dir, name);
    writeFileSync(path, body); // not executable: it is run as `perl <file>`
    return ext(path, { checktype: 'external-perl', ...over });
  };

  t.test('exit 0 with the four arguments in @ARGV', async (t) => {
    const out = join(dir, 'perl-args.txt');
    const r = await externalPerlChecker.check(
      perl('ok.pl', `open(my $f, '>', '${out}') or die; print $f join('|', @ARGV); close $f; exit 0;\n`),
      never,
    );
    t.same(r, { ok: true, message: 'Success' });
    t.equal(readFileSync(out, 'utf8'), '10.0.0.2|6379|127.0.0.60|6380');
  });

  t.test('falling off the end is exit 0: up', async (t) => {
    const r = await externalPerlChecker.check(perl('end.pl', 'my $x = 1;\n'), never);
    t.equal(r.ok, true);
  });

  t.test('exit 2 is down', async (t) => {
    const r = await externalPerlChecker.check(perl('two.pl', 'print STDERR "nope\\n"; exit 2;\n'), never);
    t.same(r, { ok: false, message: 'exit status 2: nope' });
  });

  t.test('die is down', async (t) => {
    const r = await externalPerlChecker.check(perl('die.pl', 'die "backend gone\\n";\n'), never);
    t.same(r, { ok: false, message: 'exit status 255: backend gone' });
  });

  t.test('a syntax error is down', async (t) => {
    const r = await externalPerlChecker.check(perl('syntax.pl', 'this is not perl {{\n'), never);
    t.equal(r.ok, false);
  });

  t.test('timeout after checktimeout', async (t) => {
    const r = await settles(externalPerlChecker.check(perl('slow.pl', 'sleep 300;\n', { checktimeout: 1 }), never), 10);
    t.same(r, { ok: false, message: 'timeout after 1s' });
  });
});
