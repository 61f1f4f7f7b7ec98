// The CLI contract ldirectord's users and the Pacemaker agent rely on (spec §5).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { TempDir, daemon, runCli, waitFor, weightOf, STAND_IN } from '../helpers/lvsd.js';
import { readPid } from '../../src/daemon/pidfile.js';

const GOOD = ['checkinterval=1', '', 'virtual=127.0.0.100:80', '    real=127.0.0.11:80 masq', '    checktype=on', ''].join('\n');

t.test('-t and check: 0 for a valid file, 2 and FILE:LINE: message for a broken one', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const good = dir.file('good.cf', GOOD);
  const bad = dir.file('bad.cf', 'checkinterval=1\nchekinterval=2\n');
  t.equal((await runCli(['-t', good])).code, 0);
  t.equal((await runCli(['check', good])).code, 0);
  const r = await runCli(['-t', bad]);
  t.equal(r.code, 2);
  t.match(r.stderr, `${bad}:2: `, 'names file and line');
  const missing = await runCli(['-t', dir.file('nope.cf')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /Config file .*nope\.cf not found/);
});

t.test('usage errors exit 255 like ldirectord', async (t) => {
  t.equal((await runCli([])).code, 255);
  t.equal((await runCli(['x.cf', 'frobnicate'])).code, 255);
  const v = await runCli(['--version']);
  t.equal(v.code, 0);
  t.match(v.stdout, /^lvsd \d+\.\d+\.\d+/);
});

t.test('status, reload and stop with and without a running daemon', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cfg = dir.file('web.cf', GOOD);
  const pid = dir.file('lvsd.pid');
  const env = { LVSD_IPVS_STATE: dir.file('ipvs.json') };
  const common = ['--pid-file', pid, '--ipvsadm', STAND_IN];

  let r = await runCli([...common, cfg, 'status'], env);
  t.equal(r.code, 3, 'stopped: 3');
  t.match(r.stdout, `lvsd is stopped for ${cfg}`);
  r = await runCli([...common, cfg, 'reload'], env);
  t.equal(r.code, 1, 'reload when stopped: 1');

  writeFileSync(pid, '999999\n');
  r = await runCli([...common, cfg, 'status'], env);
  t.equal(r.code, 1, 'stale pid file: 1');
  t.match(r.stderr, `ldirectord stale pid file ${pid} for ${cfg}`, "ldirectord's words: the OCF agent greps them");

  // `start` daemonizes and returns once the first round is applied.
  r = await runCli([...common, cfg, 'start'], env);
  t.equal(r.code, 0, 'start');
  const st = readPid(pid);
  t.equal(st.state, 'running', 'daemon is running after start returns');
  r = await runCli([...common, cfg, 'status'], env);
  t.equal(r.code, 0);
  t.match(r.stderr, `lvsd for ${cfg} is running with pid: `);
  r = await runCli([...common, cfg, 'start'], env);
  t.equal(r.code, 0, 'start when running does nothing');
  t.equal(readPid(pid).state === 'running' && (readPid(pid) as { pid: number }).pid, (st as { pid: number }).pid);
  r = await runCli([...common, cfg, 'reload'], env);
  t.equal(r.code, 0, 'reload sends HUP');
  r = await runCli([...common, cfg, 'stop'], env);
  t.equal(r.code, 0);
  t.equal(readPid(pid).state, 'stopped', 'stop waits for the daemon to finish');
});

t.test('a second daemon on the same pid file does not start', async (t) => {
  const dir = new TempDir();
  const cfg = dir.file('web.cf', GOOD);
  const pid = dir.file('lvsd.pid');
  const env = { LVSD_IPVS_STATE: dir.file('ipvs.json') };
  const first = daemon(t, { file: cfg }, { dir, pidFile: pid, state: env.LVSD_IPVS_STATE }).lvsd;
  await waitFor('first daemon up', () => readPid(pid).state === 'running');
  const second = await runCli(['-f', '--pid-file', pid, '--ipvsadm', STAND_IN, cfg, 'start'], env);
  t.equal(second.code, 0, 'exits 0 (ldirectord: start when running)');
  t.match(second.stderr, /already running/);
  t.equal(first.child.exitCode, null, 'the first is still running');
});

t.test('--ipvs auto falls back to ipvsadm where netlink IPVS does not answer (this kernel has none)', async (t) => {
  const dir = new TempDir();
  const cfg = dir.file('web.cf', GOOD);
  const state = dir.file('ipvs.json');
  const { lvsd } = daemon(t, { file: cfg }, { dir, flags: ['--ipvs', 'auto'] });
  await waitFor('the table through the stand-in', async () => (await weightOf(state, '127.0.0.100:80', '127.0.0.11:80')) === 1, 60000);
  t.pass('applied through ipvsadm');
  const bad = await runCli(['-f', '--ipvs', 'kernel', cfg, 'start']);
  t.equal(bad.code, 255, 'an unknown driver kind is a usage error');
  t.match(bad.stderr, /--ipvs must be one of ipvsadm, netlink, auto, memory/);
});
