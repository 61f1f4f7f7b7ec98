// End to end, the director-pair contract (README "Director pairs"): `lvsd role` over the control
// socket, the role kept across a restart in its state file, shown in status, metrics and the log;
// the pool-health trackfile for keepalived following the reals. Real HTTP servers on loopback,
// the real lvsd binary, the stand-in ipvsadm.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { queryControl } from '../../src/status/client.js';
import { RealServer, TempDir, daemon, runCli, waitFor } from '../helpers/lvsd.js';

function config(a: RealServer, b: RealServer, track: string, fallback: RealServer): string {
  return [
    'checkinterval=1',
    'checktimeout=1',
    'negotiatetimeout=1',
    `trackfile=${track}`,
    '',
    'virtual=127.0.0.100:80',
    `    real=${a.addr} masq`,
    `    fallback=${fallback.addr} masq`,
    '    service=http',
    '    receive="OK"',
    '',
    'virtual=127.0.0.101:80',
    `    real=${b.addr} masq`,
    '    service=http',
    '    receive="OK"',
    '',
  ].join('\n');
}

t.test('role command, state file across a restart, trackfile', async (t) => {
  const dir = new TempDir();
  const [a, b, fb] = await Promise.all(['127.0.0.21', '127.0.0.22', '127.0.0.23'].map((h) => new RealServer(h).start()));
  const track = dir.file('pool');
  const cfg = dir.file('lvsd.cf', config(a!, b!, track, fb!));
  const pidFile = dir.file('lvsd.pid');
  const roleFile = dir.file('lvsd.role');
  const env = { LVSD_IPVS_STATE: dir.file('ipvs.json') };
  const start = () => daemon(t, { file: cfg }, { dir, pidFile, state: env.LVSD_IPVS_STATE }).lvsd;
  const cli = (...args: string[]) => runCli(['--pid-file', pidFile, cfg, ...args], env);
  const trackValue = () => (existsSync(track) ? readFileSync(track, 'utf8') : undefined);
  // teardowns run last first: each daemon stops before the reals do
  t.teardown(() => Promise.all([a, b, fb].map((r) => r!.stop())));
  const before = await cli('role', 'master');
  t.equal(before.code, 3, 'no daemon yet: refused');
  t.match(before.stderr, /lvsd is stopped for .*no daemon to tell its role/);

  let lvsd = start();

  await waitFor('the first round: trackfile 0', () => trackValue() === '0\n', 60000);
  t.same(await cli('role'), { code: 0, stdout: 'unknown\n', stderr: '' }, 'unknown until told');

  const bad = await cli('role', 'primary');
  t.equal(bad.code, 255, 'a word that is not a role');
  t.match(bad.stderr, /the role must be master, backup or fault, got "primary"/);
  const unknown = await cli('role', 'unknown');
  t.equal(unknown.code, 255, '"unknown" cannot be set');

  t.equal((await cli('role', 'master')).code, 0, 'role master taken');
  t.equal((await cli('role')).stdout, 'master\n');
  t.equal(readFileSync(roleFile, 'utf8'), 'master\n', 'kept in the state file beside the pid file');
  await lvsd.logged('Role: unknown -> master');

  const json = await cli('status', '--json');
  t.equal(JSON.parse(json.stdout).status.role, 'master', 'status --json: status.role');
  t.match((await cli('status')).stdout, /running {2}role master {2}pid/, 'status text');

  t.equal((await cli('role', 'backup')).code, 0);
  await lvsd.logged('Role: master -> backup');
  t.equal((await cli('role', 'backup')).code, 0, 'the same role again: fine, no change');

  // pool health: every real of one virtual dies (its fallback does not count) and comes back
  await a!.stop();
  await waitFor('trackfile 1 with a virtual empty', () => trackValue() === '1\n', 60000);
  await a!.start();
  await waitFor('trackfile 0 once it is back', () => trackValue() === '0\n', 60000);
  await b!.stop();
  await waitFor('trackfile 1 again (the other virtual)', () => trackValue() === '1\n', 60000);
  await b!.start();
  await waitFor('trackfile 0 again', () => trackValue() === '0\n', 60000);

  // a clean stop: the trackfile says 1 (no checks, no pools), the role stays in its file
  t.equal(await lvsd.stop(), 0);
  t.equal(trackValue(), '1\n', 'stopped: 1');
  t.equal(readFileSync(roleFile, 'utf8'), 'backup\n');
  const none = await cli('role', 'master');
  t.equal(none.code, 3, 'no daemon: exit 3');
  t.match(none.stderr, /lvsd is stopped for .*no daemon to tell its role/);

  lvsd = start();
  await waitFor('restarted: trackfile 0', () => trackValue() === '0\n', 60000);
  t.equal((await cli('role')).stdout, 'backup\n', 'the role survives a restart');
  await lvsd.logged('Role: backup (kept from the previous run)');
  const metrics = await queryControl(dir.file('lvsd.sock'), 'metrics');
  t.match(metrics, /\nlvsd_role\{role="backup"\} 1\n/, 'metrics: the role gauge');
  t.match(metrics, /\nlvsd_role\{role="master"\} 0\n/);
});
