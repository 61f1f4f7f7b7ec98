// End to end, the IPVS connection sync daemon under lvsd, with the stand-in ipvsadm (it keeps the
// daemons as the real one does: test/fixtures/ipvsadm-real) and the real lvsd binary: directives
// and role → the daemons; one stopped by hand is started again; a reload applies the difference;
// a clean stop stops them (cleanstop=no leaves them, and the next lvsd adopts them); without
// syncinterface= lvsd never touches them and only shows them.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { queryControl } from '../../src/status/client.js';
import { RealServer, TempDir, daemon, ipvsadm, invocations, runCli, waitFor } from '../helpers/lvsd.js';

const IFACES = 'lvsd-t0,lvsd-t1';
// the stand-in's interfaces, for the daemon and for ipvsadm run here (cleanEnv copies this)
process.env.LVSD_IPVS_IFACES = IFACES;

function config(real: RealServer, extra: string[]): string {
  return ['checkinterval=1', 'checktimeout=1', ...extra, '', 'virtual=127.0.0.100:80', `    real=${real.addr} masq`, '    service=http', '    receive="OK"', ''].join('\n');
}

async function setup(t: Test, extra: string[]) {
  const dir = new TempDir();
  const real = await new RealServer('127.0.0.31').start();
  const state = dir.file('ipvs.json');
  const cfg = dir.file('lvsd.cf', config(real, extra));
  const pidFile = dir.file('lvsd.pid');
  const env = { LVSD_IPVS_STATE: state, LVSD_IPVS_IFACES: IFACES };
  // teardowns run last first: each daemon (stopped by daemon()'s own teardown) before the real
  t.teardown(() => real.stop());
  const start = () => daemon(t, { file: cfg }, { dir, pidFile, state, env: { LVSD_IPVS_IFACES: IFACES } }).lvsd;
  const cli = (...args: string[]) => runCli(['--pid-file', pidFile, cfg, ...args], env);
  const daemons = () => ipvsadm(state, ['-L', '-n', '--daemon']);
  const box = { lvsd: start() };
  const rewrite = (more: string[]) => writeFileSync(cfg, config(real, more));
  return { dir, state, cfg, cli, daemons, start, box, env, rewrite };
}

const statusOf = async (cli: (...a: string[]) => Promise<{ stdout: string }>) => JSON.parse((await cli('status', '--json')).stdout).status;

t.test('managed: role switches it, a hand-stopped one comes back, reload diffs, clean stop stops it', async (t) => {
  const s = await setup(t, ['syncinterface=lvsd-t0', 'syncid=7']);
  const lvsd = () => s.box.lvsd;
  await waitFor('a backup daemon while the role is unknown', () => s.daemons() === 'backup sync daemon (mcast=lvsd-t0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n', 60000);
  await lvsd().logged('Started IPVS backup sync daemon on lvsd-t0 (syncid 7)');
  await waitFor('running', async () => (await s.cli('status')).stdout.includes('sync daemon: backup on lvsd-t0'), 60000);
  const st = await statusOf(s.cli);
  t.equal(st.sync.managed, true);
  t.same(st.sync.desired, [{ state: 'backup', ifname: 'lvsd-t0', syncid: 7 }]);

  t.equal((await s.cli('role', 'master')).code, 0);
  await waitFor('master instead of backup', () => /^master sync daemon \(mcast=lvsd-t0, syncid=7,[^\n]*\)\n$/.test(s.daemons()), 60000);
  await lvsd().logged('Stopped IPVS backup sync daemon on lvsd-t0');

  // someone stops it by hand: the periodic re-read (10 s) starts it again
  ipvsadm(s.state, ['--stop-daemon', 'master']);
  t.equal(s.daemons(), '', 'stopped by hand');
  await waitFor('started again by the repair', () => s.daemons().startsWith('master sync daemon (mcast=lvsd-t0, syncid=7,'), 60000);

  t.equal((await statusOf(s.cli)).sync.daemons[0].state, 'master', 'status --json: the kernel daemons');
  const metrics = await queryControl(s.dir.file('lvsd.sock'), 'metrics');
  t.match(metrics, /\nlvsd_sync_daemon\{state="master",ifname="lvsd-t0",syncid="7"\} 1\n/, 'metrics: the daemon');
  t.match(metrics, /\nlvsd_sync_daemon_managed 1\n/);
  t.match(metrics, /\nlvsd_sync_daemon_failing 0\n/);

  // reload: a new syncid and group restart the master daemon (the difference only)
  const before = invocations(s.state).length;
  s.rewrite(['syncinterface=lvsd-t0', 'syncid=8', 'syncgroup=239.9.9.9']);
  lvsd().child.kill('SIGHUP');
  await waitFor('the new settings', () => s.daemons() === 'master sync daemon (mcast=lvsd-t0, syncid=8, maxlen=1472, group=239.9.9.9, port=8848, ttl=1)\n', 60000);
  const writes = invocations(s.state).slice(before).map((l) => (JSON.parse(l) as { argv: string[] }).argv.join(' ')).filter((a) => a.includes('-daemon') && !a.startsWith('-L'));
  t.same(writes, ['--stop-daemon master', '--start-daemon master --mcast-interface lvsd-t0 --syncid 8 --mcast-group 239.9.9.9'], 'one stop, one start');

  // syncstate=both: a backup beside the master
  s.rewrite(['syncinterface=lvsd-t0', 'syncid=8', 'syncgroup=239.9.9.9', 'syncstate=both']);
  lvsd().child.kill('SIGHUP');
  await waitFor('both', () => s.daemons().split('\n').filter(Boolean).length === 2, 60000);

  t.equal(await lvsd().stop(), 0);
  t.equal(s.daemons(), '', 'a clean stop stops the daemons lvsd ran');
});

t.test('cleanstop=no: the daemon outlives lvsd and the next one adopts it', async (t) => {
  const s = await setup(t, ['cleanstop=no', 'syncinterface=lvsd-t1', 'syncstate=master', 'syncttl=3', 'syncmaxlen=9000']);
  const want = 'master sync daemon (mcast=lvsd-t1, syncid=0, maxlen=9000, group=224.0.0.81, port=8848, ttl=3)\n';
  await waitFor('master daemon', () => s.daemons() === want, 60000);
  await waitFor('running', async () => (await s.cli('status')).stdout.includes('sync daemon: master'), 60000);
  t.equal(await s.box.lvsd.stop(), 0);
  t.equal(s.daemons(), want, 'left running');
  const before = invocations(s.state).length;
  s.box.lvsd = s.start();
  await waitFor('running again', async () => (await s.cli('status')).stdout.includes('sync daemon: master'), 60000);
  const calls = invocations(s.state).slice(before).map((l) => (JSON.parse(l) as { argv: string[] }).argv.join(' '));
  t.notOk(calls.some((c) => /--st(art|op)-daemon/.test(c)), 'adopted: neither stopped nor started');
  t.equal(s.daemons(), want);
});

t.test('without syncinterface: never touched, only shown', async (t) => {
  const s = await setup(t, []);
  await s.box.lvsd.stop();
  // keepalived's lvs_sync_daemon runs one (here: by hand, before lvsd starts)
  ipvsadm(s.state, ['--start-daemon', 'backup', '--mcast-interface', 'lvsd-t0', '--syncid', '3']);
  const before = invocations(s.state).length;
  s.box.lvsd = s.start();
  await waitFor('shown in status', async () => (await s.cli('status')).stdout.includes('sync daemon (not managed by lvsd): backup on lvsd-t0 (syncid 3'), 60000);
  t.equal((await s.cli('role', 'master')).code, 0);
  const st = await statusOf(s.cli);
  t.equal(st.sync.managed, false);
  t.equal(st.sync.desired, null);
  t.equal(await s.box.lvsd.stop(), 0);
  t.match(s.daemons(), /^backup sync daemon \(mcast=lvsd-t0, syncid=3,/, 'still running after role and stop');
  const calls = invocations(s.state).slice(before).map((l) => (JSON.parse(l) as { argv: string[] }).argv.join(' '));
  t.notOk(calls.some((c) => /--st(art|op)-daemon/.test(c)), 'no start or stop ever sent');
});

t.test('an interface that does not exist: said once, in status, retried', async (t) => {
  const s = await setup(t, ['syncinterface=lvsd-none']);
  await s.box.lvsd.logged('cannot start the IPVS backup sync daemon on lvsd-none (syncid 0): No such device');
  await waitFor('running', async () => (await s.cli('status')).stdout.includes('sync daemon problem: cannot start'), 60000);
  t.match((await statusOf(s.cli)).sync.lastError.message, /No such device/);
  t.equal(s.box.lvsd.out.split('No such device').length - 1, 1, 'logged once');
});
