// The control socket and `lvsd status` against the running daemon while real servers go down
// and come back: what they say equals the kernel table (the stand-in ipvsadm's), and
// ldirectord's texts and exit codes stay as they were.
import t from 'tap';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { runCli, weightsOf, waitFor } from '../helpers/lvsd.js';
import { startLvsd, queryControl, VIP, type Lvsd } from './helpers.js';
import type { StatusSnapshot } from '../../src/status/types.js';

/** Status and kernel agree on every real's weight (read both, compare; poll until they do). */
async function agree(d: Lvsd, what: string, cond: (s: StatusSnapshot) => boolean): Promise<StatusSnapshot> {
  let last: StatusSnapshot | undefined;
  await waitFor(what, async () => {
    const s = await d.status();
    const kernel = await weightsOf(d.state, VIP, d.reals.map((r) => r.addr));
    const shown = d.reals.map((r) => d.real(s, r)?.kernelWeight ?? undefined);
    last = s;
    return cond(s) && JSON.stringify(kernel) === JSON.stringify(shown);
  });
  return last!;
}

t.test('status follows reals down and up, equal to the kernel table; CLI texts and codes kept', async (t) => {
  const d = await startLvsd(t, ['127.0.0.41', '127.0.0.42', '127.0.0.43'], { extra: ['quiescent=no'], fallbackHost: '127.0.0.40' });
  const [a, b, c] = d.reals as [typeof d.reals[0], typeof d.reals[0], typeof d.reals[0]];
  const common = ['--pid-file', d.pid, d.cfg, 'status'];

  const st = statSync(d.sock);
  t.ok(st.isSocket(), 'a unix socket beside the pid file');
  t.equal(st.mode & 0o777, 0o600, 'owner-only (0600)');
  t.equal(st.uid, process.getuid!(), 'owned by the daemon user');
  t.equal((await queryControl(d.sock, 'ping')).trim(), 'pong');
  t.match(await queryControl(d.sock, 'reboot'), /^error: unknown command "reboot"/, 'anything else is refused');

  let s = await agree(d, 'all up', (s) => s.virtuals[0]!.counts.up === 3 && s.virtuals[0]!.reals.every((r) => r.kernelWeight !== null));
  t.equal(s.lvsd.state, 'running');
  t.equal(s.lvsd.config, d.cfg);
  t.same(d.reals.map((r) => d.real(s, r)?.kernelWeight), [2, 3, 4], 'kernel weights shown');
  t.equal(s.virtuals[0]!.fallback?.active, false, 'fallback on standby');
  t.equal(s.http, null, 'no HTTP listener unless asked for');
  t.ok(d.real(s, a)!.lastLatencyMs !== null && d.real(s, a)!.lastCheckAt !== null, 'last check latency and time');

  let r = await runCli(common);
  t.equal(r.code, 0, 'running: 0');
  t.match(r.stderr, `lvsd for ${d.cfg} is running with pid: ${d.lvsd.child.pid}`, "ldirectord's text on stderr");
  t.match(r.stdout, new RegExp(`^TCP ${VIP}  wrr  http, check negotiate every 1s  3/3 up$`, 'm'), 'virtual service line');
  t.match(r.stdout, new RegExp(`^  up +${a.addr} masq +2 +\\d+s`, 'm'), 'a real with its kernel weight');
  t.match(r.stdout, new RegExp(`^  standby +${d.fallback!.addr} masq +- +`, 'm'), 'the fallback');

  await b.stop();
  s = await agree(d, 'b down and out of the kernel', (s) => d.real(s, b)?.health === 'down' && d.real(s, b)?.kernelWeight === null);
  const rb = d.real(s, b)!;
  t.equal(rb.kernelWeight, null, 'quiescent=no: not in the kernel');
  t.match(rb.lastMessage, /refused/i, 'the reason of the failure');
  t.ok(rb.inStateSeconds < 60, 'time in the current state');
  t.match(s.transitions[0], { real: b.addr, virtual: VIP, from: 'up', to: 'down' }, 'newest transition first');

  r = await runCli(common);
  t.equal(r.code, 0);
  t.match(r.stdout, new RegExp(`^  DOWN +${b.addr} masq +- +\\d+s .*refused`, 'im'), 'DOWN with its reason');
  t.match(r.stdout, new RegExp(`${b.addr} \\(${VIP}\\) +up -> down`), 'transition listed');

  r = await runCli(['--json', ...common]);
  t.equal(r.code, 0, '--json: same exit code');
  t.match(r.stderr, 'is running with pid:', 'texts go to stderr with --json');
  const doc = JSON.parse(r.stdout) as { running: boolean; pid: number; status: StatusSnapshot };
  t.equal(doc.running, true);
  t.equal(doc.pid, d.lvsd.child.pid);
  t.equal(d.real(doc.status, b)?.health, 'down', 'the same truth as JSON');

  await b.start();
  s = await agree(d, 'b back', (s) => d.real(s, b)?.health === 'up' && d.real(s, b)?.kernelWeight !== null);
  t.equal(d.real(s, b)!.kernelWeight, 3);
  t.match(d.real(s, b)!.lastFailure?.message, /refused/i, 'the last failure is kept after recovery');
  r = await runCli(common);
  t.match(r.stdout, new RegExp(`^  up +${b.addr} masq +3 .*last failure \\d+s ago: .*refused`, 'im'));

  await Promise.all([a.stop(), b.stop(), c.stop()]);
  s = await agree(d, 'all down', (s) => s.virtuals[0]!.counts.down === 3 && s.virtuals[0]!.fallback?.active === true);
  t.equal(s.virtuals[0]!.fallback?.kernelWeight, 1, 'fallback in the kernel at weight 1');
  r = await runCli(common);
  t.match(r.stdout, new RegExp(`^  FALLBACK +${d.fallback!.addr} masq +1 `, 'm'));

  t.equal(await d.lvsd.stop(), 0);
  t.notOk(existsSync(d.sock), 'socket removed on stop');
  r = await runCli(common);
  t.equal(r.code, 3, 'stopped: 3');
  t.equal(r.stdout, `lvsd is stopped for ${d.cfg}\n`, 'only ldirectord\'s text');
  r = await runCli(['--json', ...common]);
  t.equal(r.code, 3);
  t.same(JSON.parse(r.stdout), { config: d.cfg, running: false, pid: null, status: null });
  writeFileSync(d.pid, '999999\n');
  r = await runCli(common);
  t.equal(r.code, 1, 'stale: 1');
  t.equal(r.stdout, `lvsd is stopped for ${d.cfg}\n`);
  t.match(r.stderr, `ldirectord stale pid file ${d.pid} for ${d.cfg}`);
});

t.test('--control-socket PATH for daemon and CLI; a daemon without a socket still reports by pid', async (t) => {
  const d = await startLvsd(t, ['127.0.0.44'], { args: ['--control-socket', '/nonexistent-dir/x.sock'], noSocket: true });
  await waitFor('checks applied', async () => (await weightsOf(d.state, VIP, [d.reals[0]!.addr]))[0] === 2);
  t.match(d.lvsd.out, /Control socket \/nonexistent-dir\/x\.sock not available/, 'logged, not fatal');
  const r = await runCli(['--pid-file', d.pid, '--control-socket', '/nonexistent-dir/x.sock', d.cfg, 'status']);
  t.equal(r.code, 0, 'still 0: the daemon runs');
  t.match(r.stderr, /is running with pid: \d+\nno answer on the control socket \/nonexistent-dir\/x\.sock/);
  t.equal(r.stdout, '');
});

t.test('a stale socket file is replaced; a live one or a regular file is not taken over', async (t) => {
  const { ControlServer } = await import('../../src/status/control.js');
  const { TempDir } = await import('../helpers/lvsd.js');
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const path = dir.file('c.sock');
  const handlers = { status: () => '{}', metrics: async () => '' };
  const first = new ControlServer(path, handlers);
  await first.listen();
  const second = new ControlServer(path, handlers);
  await t.rejects(second.listen(), /in use by another process/);
  await first.close();
  // a daemon killed with SIGKILL leaves its socket file behind
  const { spawn } = await import('node:child_process');
  const holder = spawn(process.execPath, ['-e', 'require("net").createServer().listen(process.argv[1]); setInterval(() => {}, 1000)', path], { stdio: 'ignore' });
  await waitFor('the holder listening', () => existsSync(path));
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  t.ok(existsSync(path), 'a leftover socket file');
  await second.listen();
  t.equal((await queryControl(path, 'ping')).trim(), 'pong', 'replaced');
  await second.close();
  const plain = dir.file('plain', 'data');
  await t.rejects(new ControlServer(plain, handlers).listen(), /exists and is not a socket/);
});
