// One daemon per config, clean stops on SIGTERM and SIGINT with cleanstop honoured, and the
// status exit codes ldirectord's users (and the Pacemaker agent) rely on, with the real daemon.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { STAND_IN, TempDir, runCli, saved, weightOf, type LvsdProcess } from '../helpers/lvsd.js';
import { readPid } from '../../src/daemon/pidfile.js';
import { cf, daemon, servers, waitFor } from './helpers.js';

const VIP = '127.0.1.140:80';
const VIP2 = '127.0.1.141:80';
const alive = (p: LvsdProcess) => p.child.exitCode === null && p.child.signalCode === null;

t.test('two daemons started at once on one config: exactly one runs', async (t) => {
  const [a] = await servers(t, ['127.0.1.41']);
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cfgPath = dir.file('lvsd.cf', cf([], [{ vip: VIP, reals: [[a!]] }]));
  for (let round = 0; round < 3; round++) {
    const pid = dir.file(`lvsd.${round}.pid`);
    const on = { dir, pidFile: pid, state: dir.file(`ipvs.${round}.json`) };
    const pair = [daemon(t, { file: cfgPath }, on).lvsd, daemon(t, { file: cfgPath }, on).lvsd];
    await waitFor('one of them gives way', () => pair.some((p) => !alive(p)));
    const [loser, winner] = alive(pair[0]!) ? [pair[1]!, pair[0]!] : [pair[0]!, pair[1]!];
    t.equal(await loser.exit, 0, `round ${round}: the second exits 0, as ldirectord's start when running`);
    t.match(loser.out, /already running/);
    await waitFor('the winner owns the pid file', () => readPid(pid).state === 'running');
    t.equal((readPid(pid) as { pid: number }).pid, winner.child.pid, 'the pid file names the one that runs');
    t.ok(alive(winner), 'and it keeps running');
    t.equal(await winner.stop(), 0);
    t.notOk(existsSync(pid), 'its clean stop removes the pid file');
  }
});

t.test('SIGTERM while the first round is still out: a prompt, clean stop', async (t) => {
  // a real that accepts and never answers holds the first round for its negotiatetimeout
  const held = new Set<Socket>();
  const mute = createServer((c) => held.add(c.on('error', () => {})));
  await new Promise<void>((r) => mute.listen(0, '127.0.1.46', r));
  t.teardown(() => {
    for (const c of held) c.destroy();
    mute.close();
  });
  const addr = `127.0.1.46:${(mute.address() as AddressInfo).port}`;
  const text = ['checkinterval=1', 'negotiatetimeout=60', '', `virtual=${VIP}`, `    real=${addr} masq`, '    service=http', '    receive="OK"', ''].join('\n');
  const { lvsd, state, pidFile } = daemon(t, text);
  await waitFor('the check is out', () => held.size > 0);
  t.ok(existsSync(pidFile), 'started (pid file written)');
  t.equal(await lvsd.stop('SIGTERM'), 0, 'exits 0 (not killed after the 20 s bound)');
  t.match(lvsd.out, 'Linux Director Daemon terminated on signal: TERM');
  t.notOk((await saved(state)).some((l) => l.includes(VIP)), 'what start-up added is cleaned up');
  t.notOk(existsSync(pidFile));
});

t.test('SIGTERM: cleanstop removes the virtual services, per virtual cleanstop=no keeps one', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.42', '127.0.1.43']);
  const text = cf([], [{ vip: VIP, reals: [[a!]] }, { vip: VIP2, reals: [[b!]], lines: ['cleanstop=no'] }]);
  const { lvsd, state, pidFile } = daemon(t, text);
  await waitFor('both in', async () => (await weightOf(state, VIP, a!.addr)) === 1 && (await weightOf(state, VIP2, b!.addr)) === 1);
  t.equal(await lvsd.stop('SIGTERM'), 0);
  const table = await saved(state);
  t.notOk(table.some((l) => l.includes(VIP)), 'cleanstop (default): the virtual service is gone');
  t.ok(table.some((l) => l.includes(VIP2) && l.includes(`-r ${b!.addr} `)), 'cleanstop=no: left exactly as it was');
  t.match(lvsd.out, `Purged virtual server (stop): ${VIP}`);
  t.match(lvsd.out, 'Linux Director Daemon terminated on signal: TERM');
  t.notOk(existsSync(pidFile), 'pid file removed');
});

t.test('SIGINT stops as cleanly; global cleanstop=no leaves the table', async (t) => {
  const [a] = await servers(t, ['127.0.1.44']);
  const { lvsd, state, pidFile } = daemon(t, cf(['cleanstop=no'], [{ vip: VIP, reals: [[a!]] }]));
  await waitFor('in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  const before = await saved(state);
  t.equal(await lvsd.stop('SIGINT'), 0);
  t.same(await saved(state), before, 'nothing removed');
  t.match(lvsd.out, 'Linux Director Daemon terminated on signal: INT');
  t.notOk(existsSync(pidFile));

  const again = daemon(t, cf([], [{ vip: VIP, reals: [[a!]] }]));
  await waitFor('in', async () => (await weightOf(again.state, VIP, a!.addr)) === 1);
  t.equal(await again.lvsd.stop('SIGINT'), 0);
  t.notOk((await saved(again.state)).some((l) => l.includes(VIP)), 'with cleanstop (default), SIGINT removes it');
});

t.test('status exit codes with a real daemon: running 0, stopped 3, stale 1', async (t) => {
  const [a] = await servers(t, ['127.0.1.45']);
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cfgPath = dir.file('lvsd.cf', cf([], [{ vip: VIP, reals: [[a!]] }]));
  const pid = dir.file('lvsd.pid');
  const env = { LVSD_IPVS_STATE: dir.file('ipvs.json') };
  const common = ['--ipvsadm', STAND_IN, '--pid-file', pid, cfgPath];
  const on = { dir, pidFile: pid, state: env.LVSD_IPVS_STATE };
  const first = daemon(t, { file: cfgPath }, on).lvsd;
  await waitFor('running', () => readPid(pid).state === 'running');
  let r = await runCli([...common, 'status'], env);
  t.equal(r.code, 0, 'running: 0');
  t.equal(r.stderr, `lvsd for ${cfgPath} is running with pid: ${first.child.pid}\n`, 'on stderr, as ldirectord');

  first.child.kill('SIGKILL'); // dies without cleaning up: a stale pid file
  await first.exit;
  t.equal(readFileSync(pid, 'utf8').trim(), String(first.child.pid));
  r = await runCli([...common, 'status'], env);
  t.equal(r.code, 1, 'stale pid file: 1');
  t.match(r.stderr, `ldirectord stale pid file ${pid} for ${cfgPath}`);
  t.match(r.stdout, `lvsd is stopped for ${cfgPath}`);

  // A new daemon takes the stale pid file over.
  const second = daemon(t, { file: cfgPath }, on).lvsd;
  await waitFor('second running', () => readPid(pid).state === 'running' && (readPid(pid) as { pid: number }).pid === second.child.pid);
  t.equal((await runCli([...common, 'status'], env)).code, 0);
  t.equal(await second.stop(), 0);
  r = await runCli([...common, 'status'], env);
  t.equal(r.code, 3, 'stopped: 3');
  t.equal(r.stdout, `lvsd is stopped for ${cfgPath}\n`);
});
